using System;
using System.Linq;
using System.Net.Http;

namespace StreamLayer.Registry.Http
{
    /// <summary>The headers of a registry's answer that the protocol reads: Location, Range, Docker-Content-Digest.</summary>
    internal static class ResponseHeaders
    {
        /// <summary>
        /// The answer's Location as an absolute URL (a relative one is relative to the request), or null. One that is
        /// not http or https (file://, say) is refused: nothing but the network is ever reached from an answer.
        /// </summary>
        /// <param name="step">What the request was for, as the message names it: "Starting the upload".</param>
        public static Uri Location(string step, HttpResponseMessage response)
        {
            Uri location = response.Headers.Location;
            if (location == null)
            {
                return null;
            }

            if (!location.IsAbsoluteUri)
            {
                location = new Uri(response.RequestMessage.RequestUri, location);
            }

            if (location.Scheme != Uri.UriSchemeHttp && location.Scheme != Uri.UriSchemeHttps)
            {
                string method = response.RequestMessage?.Method.Method;
                string url = RedactedUrl.Of(response.RequestMessage?.RequestUri);
                throw new RegistryException(
                    RegistryFailure.LocationInvalid,
                    step + ": the registry answered " + method + " " + url + " with " + (int)response.StatusCode + " " + response.ReasonPhrase
                    + " and a Location whose scheme is '" + location.Scheme + "'. Only http and https Locations are followed; the registry or a proxy in front of it is misconfigured: tell its operator.")
                {
                    StatusCode = response.StatusCode,
                    Method = method,
                    Url = url,
                };
            }

            return location;
        }

        /// <summary>A header's values joined with commas, or null when the answer has none.</summary>
        public static string Value(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

        /// <summary>A header's first value, or null when the answer has none.</summary>
        public static string First(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
    }
}
