using System;
using System.Linq;
using System.Net.Http;

namespace StreamLayer.Registry.Http
{
    /// <summary>The headers of a registry's answer that the protocol reads: Location, Range, Docker-Content-Digest.</summary>
    internal static class ResponseHeaders
    {
        /// <summary>The answer's Location as an absolute URL (a relative one is relative to the request), or null.</summary>
        public static Uri Location(HttpResponseMessage response)
        {
            Uri location = response.Headers.Location;
            if (location == null || location.IsAbsoluteUri)
            {
                return location;
            }

            return new Uri(response.RequestMessage.RequestUri, location);
        }

        /// <summary>A header's values joined with commas, or null when the answer has none.</summary>
        public static string Value(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

        /// <summary>A header's first value, or null when the answer has none.</summary>
        public static string First(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
    }
}
