// A reverse proxy for the tests that sits in front of the real registry and injects the faults that real
// registries and their front ends produce: error statuses with Retry-After, dropped connections, body and
// chunk limits, refused chunked transfer encoding, relative Locations and silence.
//
//   dotnet StreamLayer.TestServer.dll proxy --urls http://127.0.0.1:<port> --upstream http://127.0.0.1:<registry port>
//
// Faults are set per test with POST /__faults (a JSON array of rules); GET /__log lists the requests seen (once
// answered), GET /__started the faulted ones as soon as they arrive (a hang or a stall is logged only once it ends).
//
//   dotnet StreamLayer.TestServer.dll token --urls <url> --cert <pem> --key <pem> --issuer <iss> --service <aud> [--config <json>]
//
// runs the token server for docker-registry's token auth (TokenServer.cs).
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using StreamLayer.TestServer;

if (args.Length == 0 || (args[0] != "proxy" && args[0] != "token"))
{
    Console.Error.WriteLine("usage: StreamLayer.TestServer proxy --urls <url> --upstream <registry url>");
    Console.Error.WriteLine("       StreamLayer.TestServer token --urls <url> --cert <pem> --key <pem> --issuer <iss> --service <aud> [--config <json>]");
    return 2;
}

var builder = WebApplication.CreateBuilder(args[1..]);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = null;
    k.AllowSynchronousIO = false;
});
if (args[0] == "token")
{
    var tokenServer = TokenServer.FromConfiguration(builder.Configuration);
    var tokenApp = builder.Build();
    tokenApp.Run(tokenServer.HandleAsync);
    tokenApp.Run();
    return 0;
}

var upstream = new Uri(builder.Configuration["upstream"] ?? throw new ArgumentException("--upstream is required"));
var app = builder.Build();
var proxy = new FaultProxy(upstream, builder.Configuration["upstream-authorization"]);
app.Run(proxy.HandleAsync);
app.Run();
return 0;

namespace StreamLayer.TestServer
{
    public sealed class FaultRule
    {
        /// <summary>HTTP method to match, or null for any.</summary>
        public string? Method { get; set; }

        /// <summary>Substring of the path to match, or null for any.</summary>
        public string? PathContains { get; set; }

        /// <summary>Matching requests to let through before the fault applies.</summary>
        public int Skip { get; set; }

        /// <summary>How many matching requests the fault applies to (0: all).</summary>
        public int Times { get; set; } = 1;

        /// <summary>
        /// status | drop | dropUpstream | hang | relativeLocation | rejectChunkedEncoding | maxBody | maxChunk |
        /// redirect (answer Status, 307 by default, with Location = Location + the request's path and query, before reading any body) |
        /// redirectAfterBody (the same after reading the whole body) | endlessBody (answer Status with a body that never ends) |
        /// location (forward, then answer with Location set to Location) | digest (forward, then set Docker-Content-Digest to Digest) |
        /// stallBody (forward, then send Bytes of the answer's body and hold the rest until the client goes)
        /// </summary>
        public string Action { get; set; } = "status";

        public int Status { get; set; } = 503;

        /// <summary>status: the error code in the JSON error body.</summary>
        public string Code { get; set; } = "INJECTED";

        public int? RetryAfter { get; set; }

        /// <summary>status: a WWW-Authenticate header to answer with (a challenge, well-formed or not).</summary>
        public string? WwwAuthenticate { get; set; }

        /// <summary>drop, dropUpstream: request body bytes read before the connection is cut. maxBody, maxChunk: the limit. stallBody: answer bytes sent.</summary>
        public long Bytes { get; set; }

        /// <summary>redirect, redirectAfterBody: the base URL redirected to; location: the Location answered.</summary>
        public string? Location { get; set; }

        /// <summary>digest: the Docker-Content-Digest answered.</summary>
        public string? Digest { get; set; }

        [JsonIgnore]
        public int Seen;

        [JsonIgnore]
        public int Applied;
    }

    public sealed record LoggedRequest(string Method, string Path, string? ContentRange, long? ContentLength, bool ChunkedEncoding, int Status, string Fault, bool Authorization);

    public sealed class FaultProxy
    {
        private static readonly HashSet<string> s_hopByHop = new(StringComparer.OrdinalIgnoreCase)
        {
            "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Expect", "Host", "Content-Length",
        };

        private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

        private readonly Uri _upstream;
        private readonly string? _upstreamAuthorization;

        // A test registry behind TLS has the tests' own CA; this proxy is test-only, so it trusts any upstream.
        private readonly HttpClient _client = new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = { RemoteCertificateValidationCallback = delegate { return true; } },
        }) { Timeout = Timeout.InfiniteTimeSpan };
        private readonly ConcurrentQueue<LoggedRequest> _log = new();
        private readonly ConcurrentQueue<LoggedRequest> _started = new();
        private List<FaultRule> _rules = new();

        /// <param name="upstreamAuthorization">
        /// Sent upstream on requests that carry no Authorization of their own: a stand-in for blob storage, whose
        /// redirect URLs are signed, in front of a registry that wants credentials.
        /// </param>
        public FaultProxy(Uri upstream, string? upstreamAuthorization = null)
        {
            _upstream = upstream;
            _upstreamAuthorization = upstreamAuthorization;
        }

        public async Task HandleAsync(HttpContext context)
        {
            HttpRequest request = context.Request;
            switch (request.Path.Value)
            {
                case "/__faults" when request.Method == "POST":
                    var rules = await JsonSerializer.DeserializeAsync<List<FaultRule>>(request.Body, s_json) ?? new();
                    lock (this)
                    {
                        _rules = rules;
                        _log.Clear();
                        _started.Clear();
                    }

                    context.Response.StatusCode = 204;
                    return;
                case "/__log":
                    await context.Response.WriteAsJsonAsync(_log.ToArray(), s_json);
                    return;
                case "/__started":
                    await context.Response.WriteAsJsonAsync(_started.ToArray(), s_json);
                    return;
            }

            FaultRule? rule = Match(request);
            string fault = rule?.Action ?? "";
            bool chunked = request.Headers.TransferEncoding.Any(v => v != null && v.Contains("chunked", StringComparison.OrdinalIgnoreCase));
            long? length = request.ContentLength;
            if (rule != null)
            {
                _started.Enqueue(new LoggedRequest(request.Method, request.Path.Value ?? "", request.Headers["Content-Range"].FirstOrDefault(), length, chunked, 0, fault, request.Headers.ContainsKey("Authorization")));
            }
            int status;
            try
            {
                status = await ApplyAsync(context, rule, chunked);
            }
            finally
            {
                _log.Enqueue(new LoggedRequest(request.Method, request.Path.Value ?? "", request.Headers["Content-Range"].FirstOrDefault(), length, chunked, context.Response.StatusCode, fault, request.Headers.ContainsKey("Authorization")));
            }
        }

        private FaultRule? Match(HttpRequest request)
        {
            lock (this)
            {
                foreach (FaultRule rule in _rules)
                {
                    if (rule.Method != null && !string.Equals(rule.Method, request.Method, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    if (rule.PathContains != null && !(request.Path.Value ?? "").Contains(rule.PathContains, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (rule.Action is "rejectChunkedEncoding" or "maxBody" or "maxChunk" or "relativeLocation" or "location" or "digest")
                    {
                        return rule; // conditions, not counted faults
                    }

                    rule.Seen++;
                    if (rule.Seen <= rule.Skip || (rule.Times > 0 && rule.Applied >= rule.Times))
                    {
                        continue;
                    }

                    rule.Applied++;
                    return rule;
                }
            }

            return null;
        }

        private async Task<int> ApplyAsync(HttpContext context, FaultRule? rule, bool chunked)
        {
            HttpRequest request = context.Request;
            switch (rule?.Action)
            {
                case "status":
                    if (rule.WwwAuthenticate != null)
                    {
                        context.Response.Headers.WWWAuthenticate = rule.WwwAuthenticate;
                    }

                    return await RespondAsync(context, rule.Status, rule.RetryAfter, rule.Code, "fault injected by the test proxy");
                case "redirect":
                case "redirectAfterBody":
                    if (rule.Action == "redirectAfterBody")
                    {
                        await ReadBytesAsync(request.Body, long.MaxValue, context.RequestAborted);
                    }

                    context.Response.StatusCode = rule.Status is >= 300 and < 400 ? rule.Status : 307;
                    context.Response.Headers.Location = rule.Location!.TrimEnd('/') + request.Path.Value + request.QueryString.Value;
                    context.Response.Headers.Connection = "close";
                    return context.Response.StatusCode;
                case "endlessBody":
                    context.Response.StatusCode = rule.Status;
                    context.Response.ContentType = "application/json";
                    var junk = System.Text.Encoding.ASCII.GetBytes("{\"errors\":[{\"code\":\"ENDLESS\",\"message\":\"" + new string('x', 64 * 1024 - 40));
                    await context.Response.Body.WriteAsync(junk, context.RequestAborted);
                    junk = System.Text.Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
                    try
                    {
                        while (!context.RequestAborted.IsCancellationRequested)
                        {
                            await context.Response.Body.WriteAsync(junk, context.RequestAborted);
                        }
                    }
                    catch (Exception) when (context.RequestAborted.IsCancellationRequested)
                    {
                    }

                    return rule.Status;
                case "hang":
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return 0;
                case "drop":
                    await ReadBytesAsync(request.Body, rule.Bytes, context.RequestAborted);
                    context.Abort();
                    return 0;
                case "rejectChunkedEncoding" when chunked:
                    return await RespondAsync(context, 411, null, "LENGTH_REQUIRED", "chunked transfer encoding is not accepted here");
                case "maxChunk" when request.Method == "PATCH" && request.ContentLength > rule.Bytes:
                    return await RespondAsync(context, 416, null, "RANGE_INVALID", "chunk too large");
                case "maxBody" when request.ContentLength > rule.Bytes:
                    return await RespondAsync(context, 413, null, "TOO_LARGE", "request body too large");
                case "maxBody" when chunked:
                    // A front end that counts a streamed body: it gives up once the limit is passed.
                    long read = await ReadBytesAsync(request.Body, rule.Bytes + 1, context.RequestAborted);
                    if (read > rule.Bytes)
                    {
                        return await RespondAsync(context, 413, null, "TOO_LARGE", "request body too large");
                    }

                    return await ForwardAsync(context, rule, prefix: null);
            }

            return await ForwardAsync(context, rule, prefix: null);
        }

        private async Task<int> ForwardAsync(HttpContext context, FaultRule? rule, byte[]? prefix)
        {
            HttpRequest request = context.Request;
            var target = new Uri(_upstream, request.Path.Value + request.QueryString.Value);
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
            bool hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
            if (hasBody)
            {
                Stream body = request.Body;
                if (rule?.Action == "dropUpstream")
                {
                    body = new CuttingStream(body, rule.Bytes, context);
                }

                message.Content = new StreamContent(body, 1 << 16);
                if (request.ContentLength.HasValue)
                {
                    message.Content.Headers.ContentLength = request.ContentLength;
                }
            }

            foreach (var header in request.Headers)
            {
                if (s_hopByHop.Contains(header.Key))
                {
                    continue;
                }

                if (!message.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
                {
                    message.Content?.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
                }
            }

            // The registry builds absolute Locations from Host and X-Forwarded-Proto, so they keep pointing at this proxy.
            message.Headers.Host = request.Host.Value;
            message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
            if (_upstreamAuthorization != null && message.Headers.Authorization == null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", _upstreamAuthorization);
            }

            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            }
            catch (Exception) when (context.RequestAborted.IsCancellationRequested || rule?.Action == "dropUpstream")
            {
                context.Abort();
                return 0;
            }

            using (response)
            {
                context.Response.StatusCode = (int)response.StatusCode;
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                {
                    if (s_hopByHop.Contains(header.Key))
                    {
                        continue;
                    }

                    string[] values = header.Value.ToArray();
                    if (rule?.Action == "location" && header.Key.Equals("Location", StringComparison.OrdinalIgnoreCase))
                    {
                        values = new[] { rule.Location! };
                    }

                    if (rule?.Action == "digest" && header.Key.Equals("Docker-Content-Digest", StringComparison.OrdinalIgnoreCase))
                    {
                        values = new[] { rule.Digest! };
                    }

                    if (rule?.Action == "relativeLocation" && header.Key.Equals("Location", StringComparison.OrdinalIgnoreCase)
                        && Uri.TryCreate(values[0], UriKind.Absolute, out Uri? absolute))
                    {
                        values = new[] { absolute.PathAndQuery };
                    }

                    context.Response.Headers[header.Key] = values;
                }

                if (rule?.Action == "stallBody" && request.Method != "HEAD")
                {
                    // The start of the body, then nothing: a slow or stuck blob store, until the client gives up.
                    Stream upstreamBody = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                    var start = new byte[(int)Math.Min(rule.Bytes, 16 << 20)];
                    int filled = 0;
                    while (filled < start.Length)
                    {
                        int n = await upstreamBody.ReadAsync(start.AsMemory(filled), context.RequestAborted);
                        if (n == 0)
                        {
                            break;
                        }

                        filled += n;
                    }

                    await context.Response.Body.WriteAsync(start.AsMemory(0, filled), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return (int)response.StatusCode;
                }

                if ((rule?.Action == "corruptBody" || rule?.Action == "cutBody") && request.Method != "HEAD")
                {
                    // A source that sends another blob than it names (one byte flipped at offset Bytes), or that breaks
                    // off after Bytes bytes.
                    Stream upstreamBody = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                    var buffer = new byte[64 * 1024];
                    long sent = 0;
                    int n;
                    while ((n = await upstreamBody.ReadAsync(buffer, context.RequestAborted)) > 0)
                    {
                        if (rule.Action == "cutBody" && sent + n > rule.Bytes)
                        {
                            await context.Response.Body.WriteAsync(buffer.AsMemory(0, (int)(rule.Bytes - sent)), context.RequestAborted);
                            await context.Response.Body.FlushAsync(context.RequestAborted);

                            // A reset discards what the client has not read yet: it gets the headers and those bytes first.
                            await Task.Delay(500, context.RequestAborted);
                            context.Abort();
                            return (int)response.StatusCode;
                        }

                        if (rule.Action == "corruptBody" && rule.Bytes >= sent && rule.Bytes < sent + n)
                        {
                            buffer[rule.Bytes - sent] ^= 0xff;
                        }

                        await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
                        sent += n;
                    }

                    return (int)response.StatusCode;
                }

                if (request.Method != "HEAD")
                {
                    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
                }

                return (int)response.StatusCode;
            }
        }

        private static async Task<int> RespondAsync(HttpContext context, int status, int? retryAfter, string code, string message)
        {
            context.Response.StatusCode = status;
            if (retryAfter.HasValue)
            {
                context.Response.Headers.RetryAfter = retryAfter.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            // Answering without reading the body: with Expect: 100-continue, the client has sent none of it.
            context.Response.Headers.Connection = "close";
            await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code, message } } });
            return status;
        }

        private static async Task<long> ReadBytesAsync(Stream body, long count, CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            while (total < count)
            {
                int n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - total)), cancellationToken);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        /// <summary>Passes a body upstream until a byte count, then cuts both connections.</summary>
        private sealed class CuttingStream(Stream inner, long limit, HttpContext context) : Stream
        {
            private long _passed;

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_passed >= limit)
                {
                    context.Abort();
                    throw new IOException("connection cut by the test proxy");
                }

                int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _passed)], cancellationToken);
                _passed += n;
                return n;
            }

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
