using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using StreamLayer.Registry.Json;

namespace StreamLayer.Registry.Http
{
    /// <summary>
    /// Turns a registry's error answer into a <see cref="RegistryException"/> that says which step and request it
    /// was. What the server wrote reaches the message only scrubbed of every secret its client knows.
    /// </summary>
    internal static class ErrorAnswer
    {
        /// <summary>The most of an error body that is read: enough for any registry's JSON errors, and no endless body.</summary>
        public const int MaximumBody = 64 * 1024;

        // What distribution's storage drivers (and the systems under them) say when the disk or a quota is full.
        private static readonly string[] s_storageFull =
        {
            "no space left on device", "disk quota exceeded", "not enough space on the disk", "there is not enough space", "insufficient storage", "quotaexceeded",
        };

        /// <summary>An exception for an error answer, with the registry's own code and message from its JSON error body.</summary>
        public static async Task<RegistryException> ReadAsync(string step, HttpResponseMessage response)
        {
            byte[] body = await BodyAsync(response).ConfigureAwait(false);
            var errors = new List<KeyValuePair<string, string>>();
            if (JsonValue.TryParse(body, out JsonValue json))
            {
                foreach (JsonValue error in json["errors"]?.Items ?? Array.Empty<JsonValue>())
                {
                    string code = error["code"]?.AsString;
                    string message = error["message"]?.AsString;
                    JsonValue detail = error["detail"];
                    if (detail != null && detail.Kind != JsonKind.Null)
                    {
                        message = (message ?? string.Empty) + " (" + (detail.AsString ?? detail.ToString()) + ")";
                    }

                    if (code != null || message != null)
                    {
                        errors.Add(new KeyValuePair<string, string>(Secrets.ScrubFor(response, code), Secrets.ScrubFor(response, message)));
                    }
                }
            }

            string method = response.RequestMessage?.Method.Method;
            string url = RedactedUrl.Of(response.RequestMessage?.RequestUri);
            string firstCode = errors.Count > 0 ? errors[0].Key : null;
            string firstMessage = errors.Count > 0 ? errors[0].Value : null;
            var text = new StringBuilder();
            text.Append(step).Append(": the registry answered ").Append(method).Append(' ').Append(url)
                .Append(" with ").Append((int)response.StatusCode).Append(' ').Append(response.ReasonPhrase);
            if (errors.Count > 0)
            {
                text.Append(": ").Append(string.Join("; ", errors.Select(e => (e.Key ?? "?") + ": " + e.Value)));
            }

            text.Append('.');
            RegistryFailure failure = Classify(response.StatusCode, firstCode);
            if (SaysStorageFull(response.StatusCode, body))
            {
                failure = RegistryFailure.StorageFull;
                text.Append(" The registry is out of storage space: free space on its storage (or raise its quota), or ask its operator to, then push again.");
            }

            return new RegistryException(failure, Secrets.ScrubFor(response, text.ToString()))
            {
                StatusCode = response.StatusCode,
                ErrorCode = firstCode,
                RegistryMessage = firstMessage,
                Method = method,
                Url = url,
                Errors = errors,
            };
        }

        /// <summary>An exception for an answer whose body is not the point (a 401's challenge): the request, its status, and why it ends the step.</summary>
        public static RegistryException Explain(RegistryFailure failure, string step, HttpResponseMessage response, string why)
        {
            string method = response.RequestMessage?.Method.Method;
            string url = RedactedUrl.Of(response.RequestMessage?.RequestUri);
            return new RegistryException(failure, Secrets.ScrubFor(response, step + ": the registry answered " + method + " " + url + " with " + (int)response.StatusCode + " " + response.ReasonPhrase + ": " + why))
            {
                StatusCode = response.StatusCode,
                Method = method,
                Url = url,
            };
        }

        /// <summary>
        /// Whether an answer says the registry's storage is full: 507, or a server error whose body says so. distribution
        /// writes "no space left on device" in its detail, or a path error with errno 28 (ENOSPC) or 122 (EDQUOT).
        /// </summary>
        public static bool SaysStorageFull(HttpStatusCode status, byte[] body)
        {
            int code = (int)status;
            if (code == 507)
            {
                return true;
            }

            if (code < 500 || body == null || body.Length == 0)
            {
                return false;
            }

            string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, MaximumBody));
            string lower = text.ToLowerInvariant();
            return s_storageFull.Any(words => lower.IndexOf(words, StringComparison.Ordinal) >= 0)
                || (lower.IndexOf("\"op\":\"write\"", StringComparison.Ordinal) >= 0 && (lower.IndexOf("\"err\":28}", StringComparison.Ordinal) >= 0 || lower.IndexOf("\"err\":122}", StringComparison.Ordinal) >= 0));
        }

        /// <summary>At most <see cref="MaximumBody"/> bytes of the answer's body; none when it cannot be read.</summary>
        public static async Task<byte[]> BodyAsync(HttpResponseMessage response)
        {
            if (response.Content == null)
            {
                return Array.Empty<byte>();
            }

            try
            {
                // The sender keeps every error body it read (at most the limit) in memory, where it reads again and again.
                if (response.Content is ByteArrayContent kept)
                {
                    byte[] all = await kept.ReadAsByteArrayAsync().ConfigureAwait(false);
                    return all.Length <= MaximumBody ? all : all.Take(MaximumBody).ToArray();
                }

                using (Stream stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
                {
                    var buffer = new byte[MaximumBody];
                    int filled = 0;
                    int n;
                    while (filled < buffer.Length && (n = await stream.ReadAsync(buffer, filled, buffer.Length - filled).ConfigureAwait(false)) > 0)
                    {
                        filled += n;
                    }

                    Array.Resize(ref buffer, filled);
                    return buffer;
                }
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException || e is ObjectDisposedException || e is OperationCanceledException)
            {
                // The error body is a courtesy; the status is the answer.
                return Array.Empty<byte>();
            }
        }

        private static RegistryFailure Classify(HttpStatusCode status, string code)
        {
            switch (code)
            {
                case "UNAUTHORIZED": return RegistryFailure.Unauthorized;
                case "DENIED": return RegistryFailure.Denied;
                case "NAME_UNKNOWN": return RegistryFailure.NameUnknown;
                case "NAME_INVALID": return RegistryFailure.NameInvalid;
                case "DIGEST_INVALID":
                case "SIZE_INVALID":
                case "BLOB_UPLOAD_INVALID":
                case "BLOB_UPLOAD_UNKNOWN":
                case "BLOB_UNKNOWN":
                case "MANIFEST_INVALID":
                case "MANIFEST_BLOB_UNKNOWN":
                case "MANIFEST_UNKNOWN":
                    return RegistryFailure.BlobRejected;
                case "UNSUPPORTED": return RegistryFailure.Unsupported;
                case "TOOMANYREQUESTS": return RegistryFailure.TooManyRequests;
            }

            switch ((int)status)
            {
                case 401: return RegistryFailure.Unauthorized;
                case 403: return RegistryFailure.Denied;
                case 404: return RegistryFailure.NameUnknown;
                case 405: return RegistryFailure.Unsupported;
                case 408: return RegistryFailure.Timeout;
                case 429: return RegistryFailure.TooManyRequests;
                default: return (int)status >= 500 ? RegistryFailure.Unavailable : RegistryFailure.Rejected;
            }
        }
    }
}
