using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using StreamLayer.Registry.Http;

namespace StreamLayer.Registry.Auth
{
    /// <summary>
    /// One challenge of a WWW-Authenticate header (RFC 7235): a scheme and its parameters, e.g.
    /// Bearer realm="https://auth.example.com/token",service="registry",scope="repository:team/app:pull".
    /// </summary>
    internal sealed partial class AuthChallenge
    {
        private readonly Dictionary<string, string> _parameters;

        private AuthChallenge(string scheme, Dictionary<string, string> parameters)
        {
            Scheme = scheme;
            _parameters = parameters;
        }

        public string Scheme { get; }

        public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

        public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

        /// <summary>The token endpoint of a Bearer challenge.</summary>
        public Uri Realm => Uri.TryCreate(this["realm"], UriKind.Absolute, out Uri realm) ? realm : null;

        public string Service => this["service"];

        /// <summary>The scopes the registry asks for (the scope parameter holds them separated by spaces).</summary>
        public IReadOnlyList<string> Scopes =>
            (this["scope"] ?? string.Empty).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);

        /// <summary>The error parameter, e.g. insufficient_scope or invalid_token.</summary>
        public string Error => this["error"];

        public string this[string name] => _parameters.TryGetValue(name, out string value) ? value : null;

        /// <summary>The scheme and parameter names, without values (a scope is harmless, but a nonce need not be shown).</summary>
        public override string ToString() =>
            Scheme + (_parameters.Count == 0 ? string.Empty : " " + string.Join(",", _parameters.Keys));

        /// <summary>
        /// Parses the values of every WWW-Authenticate header of an answer. Throws FormatException that says what
        /// is wrong (without quoting the header) when a value does not follow the grammar.
        /// </summary>
        public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
        {
            var challenges = new List<AuthChallenge>();
            foreach (string value in headerValues ?? Enumerable.Empty<string>())
            {
                challenges.AddRange(new Parser(value ?? string.Empty).ParseAll());
            }

            return challenges;
        }

        public static IReadOnlyList<AuthChallenge> Parse(string headerValue) => Parse(new[] { headerValue });

        /// <summary>
        /// The challenge of a 401 answer that StreamLayer follows: Bearer before Basic. Null when the answer has
        /// no challenge; throws <see cref="RegistryFailure.ChallengeInvalid"/> for one that cannot be followed.
        /// </summary>
        public static AuthChallenge ToFollow(string step, HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("WWW-Authenticate", out IEnumerable<string> values) || !values.Any(v => !string.IsNullOrWhiteSpace(v)))
            {
                return null;
            }

            IReadOnlyList<AuthChallenge> challenges;
            try
            {
                challenges = Parse(values);
            }
            catch (FormatException e)
            {
                throw ErrorAnswer.Explain(RegistryFailure.ChallengeInvalid, step, response, "its WWW-Authenticate header is " + e.Message + ", so StreamLayer cannot tell how to authenticate.");
            }

            AuthChallenge bearer = challenges.FirstOrDefault(c => c.IsBearer);
            if (bearer != null)
            {
                Uri realm = bearer.Realm;
                if (realm == null || (realm.Scheme != Uri.UriSchemeHttps && realm.Scheme != Uri.UriSchemeHttp))
                {
                    throw ErrorAnswer.Explain(RegistryFailure.ChallengeInvalid, step, response, "its Bearer challenge names no token server (realm) as an absolute http or https URL.");
                }

                return bearer;
            }

            AuthChallenge basic = challenges.FirstOrDefault(c => c.IsBasic);
            if (basic != null)
            {
                return basic;
            }

            throw ErrorAnswer.Explain(
                RegistryFailure.ChallengeInvalid,
                step,
                response,
                "it asks for " + string.Join(" or ", challenges.Select(c => c.Scheme).Distinct()) + " authentication; StreamLayer speaks Basic and Bearer (token) authentication.");
        }
    }
}
