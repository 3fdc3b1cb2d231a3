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
    /// <summary>Turns a registry's error answer into a <see cref="RegistryException"/> that says which step and request it was.</summary>
    internal static class ErrorAnswer
    {
        /// <summary>An exception for an error answer, with the registry's own code and message from its JSON error body.</summary>
        public static async Task<RegistryException> ReadAsync(string step, HttpResponseMessage response)
        {
            string body = string.Empty;
            try
            {
                if (response.Content != null)
                {
                    byte[] bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    body = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024));
                }
            }
            catch (Exception e) when (e is IOException || e is HttpRequestException)
            {
                // The error body is a courtesy; the status is the answer.
            }

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
                        errors.Add(new KeyValuePair<string, string>(code, message));
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
            return new RegistryException(Classify(response.StatusCode, firstCode), text.ToString())
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
            return new RegistryException(failure, step + ": the registry answered " + method + " " + url + " with " + (int)response.StatusCode + " " + response.ReasonPhrase + ": " + why)
            {
                StatusCode = response.StatusCode,
                Method = method,
                Url = url,
            };
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
