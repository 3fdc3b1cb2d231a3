// A token server for docker-registry's `auth: token`, for the tests only. It signs RS256 JWTs with a key and
// self-signed certificate made at test time (the registry trusts that certificate through rootcertbundle):
//
//   dotnet StreamLayer.TestServer.dll token --urls http://127.0.0.1:<port> --cert cert.pem --key key.pem
//       --issuer <iss> --service <aud> --config token.json
//
// GET /token?service=&scope= with optional basic credentials, and the OAuth2 POST (grant_type=password or
// refresh_token). Users, their actions, token lifetimes and OAuth2 support are set in the config (and replaced
// with POST /__config); GET /__log lists the token requests seen, with the tokens issued.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StreamLayer.TestServer
{
    public sealed class TokenUser
    {
        public string Name { get; set; } = "";

        public string Password { get; set; } = "";

        public List<string> Actions { get; set; } = new() { "push", "pull" };
    }

    public sealed class IdentityToken
    {
        public string Token { get; set; } = "";

        public string User { get; set; } = "";
    }

    public sealed class TokenServerConfig
    {
        public List<TokenUser> Users { get; set; } = new();

        public List<IdentityToken> IdentityTokens { get; set; } = new();

        public List<string> AnonymousActions { get; set; } = new();

        /// <summary>Seconds the registry accepts a token for.</summary>
        public int Lifetime { get; set; } = 300;

        /// <summary>The expires_in the answer states; the real lifetime when null. A larger one acts out a client whose clock is behind.</summary>
        public int? AdvertisedLifetime { get; set; }

        /// <summary>Whether POST (OAuth2) is served; 404 otherwise, as from token servers that only take GET.</summary>
        public bool OAuth { get; set; } = true;

        /// <summary>When set, every token request is answered with this status and a JSON error that echoes the request: its Authorization, decoded, and its form.</summary>
        public int? EchoStatus { get; set; }

        /// <summary>When set, /token answers every request with this redirect status (301, 302, 303, 307, 308) to <see cref="RedirectTo"/>, keeping the query.</summary>
        public int? RedirectStatus { get; set; }

        /// <summary>Where /token redirects: a path here or an absolute URL. /moved-token serves tokens as /token does; /token itself makes a loop.</summary>
        public string RedirectTo { get; set; } = "/moved-token";

        /// <summary>When set, /token logs each request (Grant "stall") and then holds it unanswered until the client goes.</summary>
        public bool Stall { get; set; }
    }

    public sealed record TokenRequest(string Method, string Grant, string? Account, string Scopes, int Status, string Granted, string? Token);

    public sealed class TokenServer
    {
        // docker-registry accepts a token up to 60 s after its exp (registry/auth/token: Leeway), so exp is set that much earlier.
        private const int RegistryLeeway = 60;
        private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

        private readonly X509Certificate2 _certificate;
        private readonly RSA _key;
        private readonly string _issuer;
        private readonly string _service;
        private readonly ConcurrentQueue<TokenRequest> _log = new();
        private TokenServerConfig _config;

        public TokenServer(string certificatePath, string keyPath, string issuer, string service, TokenServerConfig config)
        {
            _certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            _key = _certificate.GetRSAPrivateKey() ?? throw new ArgumentException("The token key must be RSA.");
            _issuer = issuer;
            _service = service;
            _config = config;
        }

        public static TokenServer FromConfiguration(IConfiguration configuration)
        {
            string Required(string name) => configuration[name] ?? throw new ArgumentException("--" + name + " is required");
            string? configPath = configuration["config"];
            TokenServerConfig config = configPath == null
                ? new TokenServerConfig()
                : JsonSerializer.Deserialize<TokenServerConfig>(File.ReadAllText(configPath), s_json) ?? new TokenServerConfig();
            return new TokenServer(Required("cert"), Required("key"), Required("issuer"), Required("service"), config);
        }

        public async Task HandleAsync(HttpContext context)
        {
            HttpRequest request = context.Request;
            switch (request.Path.Value)
            {
                case "/__config" when request.Method == "POST":
                    _config = await JsonSerializer.DeserializeAsync<TokenServerConfig>(request.Body, s_json) ?? new TokenServerConfig();
                    _log.Clear();
                    context.Response.StatusCode = 204;
                    return;
                case "/__log":
                    await context.Response.WriteAsJsonAsync(_log.ToArray(), s_json);
                    return;
                case "/token" when _config.Stall:
                    _log.Enqueue(new TokenRequest(request.Method, "stall", null, "", 0, "", null));
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return;
                case "/token" when _config.RedirectStatus is int redirect:
                    _log.Enqueue(new TokenRequest(request.Method, "redirect", null, "", redirect, "", null));
                    context.Response.StatusCode = redirect;
                    context.Response.Headers.Location = _config.RedirectTo + request.QueryString.Value;
                    return;
                case "/token":
                case "/moved-token":
                    await TokenAsync(context);
                    return;
                default:
                    context.Response.StatusCode = 404;
                    return;
            }
        }

        private async Task TokenAsync(HttpContext context)
        {
            HttpRequest request = context.Request;
            TokenServerConfig config = _config;
            if (config.EchoStatus is int echo)
            {
                string authorization = request.Headers.Authorization.ToString();
                string decoded = authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
                    ? Encoding.UTF8.GetString(Convert.FromBase64String(authorization.Substring(6).Trim()))
                    : "";
                string form = request.HasFormContentType ? string.Join("&", (await request.ReadFormAsync()).Select(f => f.Key + "=" + f.Value)) : "";
                string said = "bad request: Authorization: " + authorization + "; user:password " + decoded + "; form " + form + "; query " + request.QueryString.Value;
                await RespondAsync(context, new TokenRequest(request.Method, "echo", null, "", echo, "", null), echo, "ECHO", said);
                return;
            }

            string grant;
            string? account = null;
            string? password = null;
            var scopes = new List<string>();
            if (request.Method == "POST")
            {
                if (!config.OAuth)
                {
                    await RespondAsync(context, new TokenRequest("POST", "oauth", null, "", 404, "", null), 404, "NOT_FOUND", "this token server takes GET only");
                    return;
                }

                IFormCollection form = await request.ReadFormAsync();
                grant = form["grant_type"].ToString();
                scopes.AddRange(form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
                if (grant == "password")
                {
                    account = form["username"].ToString();
                    password = form["password"].ToString();
                }
                else if (grant == "refresh_token")
                {
                    string token = form["refresh_token"].ToString();
                    account = config.IdentityTokens.FirstOrDefault(t => t.Token == token)?.User;
                    if (account == null)
                    {
                        await RespondAsync(context, new TokenRequest("POST", grant, null, string.Join(" ", scopes), 401, "", null), 401, "UNAUTHORIZED", "unknown refresh token");
                        return;
                    }

                    password = config.Users.FirstOrDefault(u => u.Name == account)?.Password;
                }
                else
                {
                    await RespondAsync(context, new TokenRequest("POST", grant, null, "", 400, "", null), 400, "UNSUPPORTED", "unsupported grant_type");
                    return;
                }
            }
            else
            {
                grant = "anonymous";
                foreach (string? scope in request.Query["scope"])
                {
                    scopes.AddRange((scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }

                string authorization = request.Headers.Authorization.ToString();
                if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
                {
                    grant = "basic";
                    string pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization.Substring(6).Trim()));
                    int colon = pair.IndexOf(':');
                    account = colon < 0 ? pair : pair[..colon];
                    password = colon < 0 ? "" : pair[(colon + 1)..];
                }
            }

            List<string> allowed;
            if (account == null)
            {
                allowed = config.AnonymousActions;
            }
            else
            {
                TokenUser? user = config.Users.FirstOrDefault(u => u.Name == account);
                if (user == null || user.Password != password)
                {
                    await RespondAsync(context, new TokenRequest(request.Method, grant, account, string.Join(" ", scopes), 401, "", null), 401, "UNAUTHORIZED", "invalid user name or password");
                    return;
                }

                allowed = user.Actions;
            }

            var access = new JsonArray();
            var granted = new List<string>();
            foreach (string scope in scopes)
            {
                string[] parts = scope.Split(':');
                if (parts.Length != 3 || parts[0] != "repository")
                {
                    continue;
                }

                string[] actions = parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).Where(allowed.Contains).Distinct().ToArray();
                access.Add(new JsonObject { ["type"] = "repository", ["name"] = parts[1], ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a).ToArray()) });
                granted.Add(parts[1] + ":" + string.Join(",", actions));
            }

            string jwt = Sign(account ?? "", access, config.Lifetime);
            _log.Enqueue(new TokenRequest(request.Method, grant, account, string.Join(" ", scopes), 200, string.Join(" ", granted), jwt));
            int expiresIn = config.AdvertisedLifetime ?? config.Lifetime;
            var answer = new JsonObject { ["expires_in"] = expiresIn, ["issued_at"] = DateTime.UtcNow.ToString("o") };
            if (request.Method == "POST")
            {
                answer["access_token"] = jwt; // OAuth2 answers name it so; GET answers say token
                answer["scope"] = string.Join(" ", scopes);
            }
            else
            {
                answer["token"] = jwt;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        }

        private string Sign(string subject, JsonArray access, int lifetime)
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
            var claims = new JsonObject
            {
                ["iss"] = _issuer,
                ["sub"] = subject,
                ["aud"] = _service,
                ["exp"] = now + lifetime - RegistryLeeway,
                ["nbf"] = now - 1,
                ["iat"] = now,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["access"] = access,
            };
            string signed = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
            byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return signed + "." + Base64Url(signature);
        }

        private async Task RespondAsync(HttpContext context, TokenRequest logged, int status, string code, string message)
        {
            _log.Enqueue(logged);
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code, message } } });
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
