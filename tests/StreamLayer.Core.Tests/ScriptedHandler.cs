using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using StreamLayer.Registry.Http;

namespace StreamLayer.Tests
{
    /// <summary>
    /// A fake next handler for the pipeline's handlers: makes each request's message as the sender would, reads its
    /// body, records what was sent and answers from a script. For faults (redirect chains, 5xx, lost connections)
    /// that the real registry does not produce on demand.
    /// </summary>
    internal sealed class ScriptedHandler : RequestHandler
    {
        private readonly Func<Sent, HttpResponseMessage> _answer;

        public ScriptedHandler(Func<Sent, HttpResponseMessage> answer)
            : base(null) => _answer = answer;

        public List<Sent> Requests { get; } = new List<Sent>();

        public override async Task<HttpResponseMessage> SendAsync(RegistryRequest request, CancellationToken cancellationToken)
        {
            HttpRequestMessage message = request.CreateMessage(null);
            string body = message.Content == null ? null : await message.Content.ReadAsStringAsync();
            var sent = new Sent(request, message, body, Requests.Count);
            Requests.Add(sent);
            HttpResponseMessage response = _answer(sent);
            response.RequestMessage = message;
            return response;
        }

        public static HttpResponseMessage Status(int status, string location = null, string body = null)
        {
            var response = new HttpResponseMessage((HttpStatusCode)status);
            if (location != null)
            {
                response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
            }

            if (body != null)
            {
                response.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
            }

            return response;
        }

        public sealed class Sent
        {
            public Sent(RegistryRequest request, HttpRequestMessage message, string body, int index)
            {
                Request = request;
                Message = message;
                Body = body;
                Index = index;
            }

            public RegistryRequest Request { get; }

            public HttpRequestMessage Message { get; }

            public string Body { get; }

            /// <summary>0 for the first request the handler saw.</summary>
            public int Index { get; }

            public HttpMethod Method => Message.Method;

            public Uri Uri => Message.RequestUri;
        }
    }

    /// <summary>A body read as it is sent, as a streamed upload's is: once any of it was read, it cannot be made again.</summary>
    internal sealed class StreamedBody
    {
        private readonly byte[] _bytes;

        public StreamedBody(string text) => _bytes = System.Text.Encoding.UTF8.GetBytes(text);

        public bool Taken { get; private set; }

        public HttpContent Make() => new Content(this);

        private sealed class Content : HttpContent
        {
            private readonly StreamedBody _body;

            public Content(StreamedBody body) => _body = body;

            protected override Task SerializeToStreamAsync(Stream stream, TransportContext context)
            {
                _body.Taken = true;
                return stream.WriteAsync(_body._bytes, 0, _body._bytes.Length);
            }

            protected override bool TryComputeLength(out long length)
            {
                length = -1;
                return false;
            }
        }
    }
}
