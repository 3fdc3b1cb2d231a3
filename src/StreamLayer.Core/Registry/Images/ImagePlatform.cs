using System;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Images
{
    /// <summary>An os/architecture[/variant] platform, as docker writes it: linux/amd64, linux/arm64/v8.</summary>
    internal sealed class ImagePlatform
    {
        private ImagePlatform(string os, string architecture, string variant)
        {
            Os = os;
            Architecture = architecture;
            Variant = variant;
        }

        public string Os { get; }

        public string Architecture { get; }

        public string Variant { get; }

        public static ImagePlatform Parse(string text)
        {
            string[] parts = (text ?? string.Empty).Split('/');
            if (parts.Length < 2 || parts.Length > 3 || Array.Exists(parts, p => p.Length == 0))
            {
                throw new FormatException("'" + text + "' is not a platform: write os/architecture or os/architecture/variant, e.g. linux/amd64 or linux/arm64/v8.");
            }

            return new ImagePlatform(parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant(), parts.Length == 3 ? parts[2].ToLowerInvariant() : null);
        }

        /// <summary>Whether an index entry's platform object is this one (a missing variant matches arm64's v8 default).</summary>
        public bool Matches(JsonValue platform)
        {
            if (platform == null || platform["os"]?.AsString != Os || platform["architecture"]?.AsString != Architecture)
            {
                return false;
            }

            string variant = platform["variant"]?.AsString;
            if (Variant == null)
            {
                return variant == null || (Architecture == "arm64" && variant == "v8");
            }

            return Variant == variant || (variant == null && Architecture == "arm64" && Variant == "v8");
        }

        public override string ToString() => Os + "/" + Architecture + (Variant != null ? "/" + Variant : string.Empty);
    }
}
