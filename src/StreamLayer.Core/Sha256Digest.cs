using System.Security.Cryptography;

namespace StreamLayer
{
    /// <summary>Digests as the image formats write them: <c>sha256:</c> and 64 lowercase hex digits.</summary>
    internal static class Sha256Digest
    {
        public const string Prefix = "sha256:";

        /// <summary>The digest of <paramref name="bytes"/>.</summary>
        public static string Of(byte[] bytes)
        {
            using (SHA256 sha = SHA256.Create())
            {
                return Format(sha.ComputeHash(bytes));
            }
        }

        /// <summary>A finished SHA-256 hash as a digest.</summary>
        public static string Format(byte[] hash)
        {
            var chars = new char[Prefix.Length + hash.Length * 2];
            Prefix.CopyTo(0, chars, 0, Prefix.Length);
            const string hex = "0123456789abcdef";
            for (int i = 0; i < hash.Length; i++)
            {
                chars[Prefix.Length + 2 * i] = hex[hash[i] >> 4];
                chars[Prefix.Length + 1 + 2 * i] = hex[hash[i] & 15];
            }

            return new string(chars);
        }
    }
}
