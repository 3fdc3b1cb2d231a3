using System;
using System.Text.RegularExpressions;

namespace StreamLayer.Registry
{
    /// <summary>
    /// A registry, repository and optional tag or digest, parsed and normalised as docker does:
    /// "ubuntu" is index.docker.io/library/ubuntu; a first component with '.' or ':', or "localhost", is a registry.
    /// </summary>
    internal sealed class ImageReference
    {
        public const string DockerHub = "index.docker.io";

        private static readonly Regex s_pathComponent = new Regex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$", RegexOptions.CultureInvariant);
        private static readonly Regex s_host = new Regex(
            @"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$",
            RegexOptions.CultureInvariant);
        private static readonly Regex s_tag = new Regex(@"^[\w][\w.-]{0,127}$", RegexOptions.CultureInvariant);
        private static readonly Regex s_digest = new Regex(@"^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant);

        private ImageReference(string registry, string repository, string tag, string digest)
        {
            Registry = registry;
            Repository = repository;
            Tag = tag;
            Digest = digest;
        }

        /// <summary>The registry's host and optional port, e.g. "localhost:5000" or "index.docker.io".</summary>
        public string Registry { get; }

        /// <summary>The repository path in the registry, e.g. "team/app" or "library/ubuntu".</summary>
        public string Repository { get; }

        public string Tag { get; }

        public string Digest { get; }

        /// <summary>registry/repository, the name without tag or digest.</summary>
        public string Name => Registry + "/" + Repository;

        /// <summary>The registry's host without its port, and without brackets for IPv6.</summary>
        public string Host
        {
            get
            {
                string registry = Registry;
                if (registry.StartsWith("[", StringComparison.Ordinal))
                {
                    return registry.Substring(1, registry.IndexOf(']') - 1);
                }

                int colon = registry.LastIndexOf(':');
                return colon < 0 ? registry : registry.Substring(0, colon);
            }
        }

        /// <summary>Whether the registry is this machine (localhost, 127.0.0.0/8, ::1): go-containerregistry talks plain http to those.</summary>
        public bool IsLoopback
        {
            get
            {
                string host = Host;
                return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                    || host == "::1"
                    || (host.StartsWith("127.", StringComparison.Ordinal) && System.Net.IPAddress.TryParse(host, out _));
            }
        }

        public ImageReference WithDigest(string digest) => new ImageReference(Registry, Repository, null, digest);

        public ImageReference WithTag(string tag) => new ImageReference(Registry, Repository, ValidTag(tag), null);

        public override string ToString() =>
            Name + (Tag != null ? ":" + Tag : string.Empty) + (Digest != null ? "@" + Digest : string.Empty);

        /// <summary>
        /// A repository to write to, or <see cref="ImageFailure.RepositoryInvalid"/> with the way to write it: without a
        /// scheme (registries are named, not addressed), without a tag (given apart) or a digest.
        /// </summary>
        /// <param name="pushed">What is written and named by its own digest, for the message: "layer", "index".</param>
        public static ImageReference ParseRepository(string text, string pushed)
        {
            Match url = Regex.Match(text ?? string.Empty, "^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$");
            if (url.Success)
            {
                string name = url.Groups[2].Value.TrimEnd('/');
                bool http = url.Groups[1].Value.Equals("http", StringComparison.OrdinalIgnoreCase);
                throw InvalidRepository(
                    text,
                    "Leave out the scheme: -Repository " + name + "."
                    + (http ? " For a registry that speaks plain http, add -PlainHttp." : " StreamLayer talks https to it (add -PlainHttp for http)."));
            }

            ImageReference repository;
            try
            {
                repository = Parse(text);
            }
            catch (FormatException e)
            {
                throw InvalidRepository(text, e.Message);
            }

            if (repository.Digest != null)
            {
                throw InvalidRepository(text, "-Repository names a repository, without a digest: the " + pushed + "'s digest is its name in the repository. Use -Repository " + text.Substring(0, text.IndexOf('@')) + ".");
            }

            if (repository.Tag != null)
            {
                string name = text.Substring(0, text.LastIndexOf(':'));
                throw InvalidRepository(text, "-Repository names a repository, without a tag. Give the tag apart: -Repository " + name + " -Tag '" + repository.Tag + "'.");
            }

            return repository;
        }

        /// <summary>Checks that every tag can name a manifest of this repository (<see cref="ImageFailure.TagInvalid"/> for the first that cannot).</summary>
        public void CheckTags(System.Collections.Generic.IEnumerable<string> tags) => CheckTagNames(tags);

        /// <summary>Checks that every tag is one a registry takes (an OCI layout's ref.name takes them all too).</summary>
        public static void CheckTagNames(System.Collections.Generic.IEnumerable<string> tags)
        {
            foreach (string tag in tags)
            {
                try
                {
                    ValidTag(tag);
                }
                catch (FormatException e)
                {
                    throw new ImageException(ImageFailure.TagInvalid, tag, e.Message);
                }
            }
        }

        private static ImageException InvalidRepository(string text, string why) => new ImageException(
            ImageFailure.RepositoryInvalid,
            text,
            "'" + text + "' is not a repository name. " + why + " Examples: localhost:5000/stream, registry.example.com/team/app, ubuntu.");

        /// <summary>Parses a reference; throws FormatException with a message that says what is wrong.</summary>
        public static ImageReference Parse(string reference)
        {
            if (string.IsNullOrWhiteSpace(reference))
            {
                throw new FormatException("The reference is empty.");
            }

            string rest = reference.Trim();
            string digest = null;
            int at = rest.IndexOf('@');
            if (at >= 0)
            {
                digest = rest.Substring(at + 1);
                rest = rest.Substring(0, at);
                if (!s_digest.IsMatch(digest))
                {
                    throw new FormatException("'" + digest + "' is not a sha256 digest (sha256: and 64 lowercase hex digits).");
                }
            }

            string tag = null;
            int lastSlash = rest.LastIndexOf('/');
            int tagColon = rest.LastIndexOf(':');
            if (tagColon > lastSlash)
            {
                tag = ValidTag(rest.Substring(tagColon + 1));
                rest = rest.Substring(0, tagColon);
            }

            string registry = DockerHub;
            string repository = rest;
            int firstSlash = rest.IndexOf('/');
            if (firstSlash >= 0)
            {
                string first = rest.Substring(0, firstSlash);
                if (first.IndexOf('.') >= 0 || first.IndexOf(':') >= 0 || first == "localhost" || first.ToLowerInvariant() != first)
                {
                    registry = first;
                    repository = rest.Substring(firstSlash + 1);
                }
            }

            if (!s_host.IsMatch(registry))
            {
                throw new FormatException("'" + registry + "' is not a registry host name (with an optional :port).");
            }

            CheckPort(registry);

            if (registry == "docker.io" || registry == "registry-1.docker.io")
            {
                registry = DockerHub;
            }

            if (registry == DockerHub && repository.IndexOf('/') < 0)
            {
                repository = "library/" + repository;
            }

            if (repository.Length == 0)
            {
                throw new FormatException("The reference names no repository.");
            }

            foreach (string component in repository.Split('/'))
            {
                if (!s_pathComponent.IsMatch(component))
                {
                    throw new FormatException(
                        "'" + component + "' is not a valid repository path component: use lowercase letters and digits, separated by '.', '_', '__' or '-'.");
                }
            }

            if (registry.Length + 1 + repository.Length > 255)
            {
                throw new FormatException("The repository name is longer than 255 characters.");
            }

            return new ImageReference(registry, repository, tag, digest);
        }

        /// <summary>A port, when the registry names one, is 1 to 65535: the regex allows five digits, which is not the same.</summary>
        private static void CheckPort(string registry)
        {
            int close = registry.LastIndexOf(']');
            int colon = registry.LastIndexOf(':');
            if (colon < 0 || colon < close)
            {
                return;
            }

            string digits = registry.Substring(colon + 1);
            if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
            {
                throw new FormatException("'" + registry + "' has the port " + digits + "; a port is a number from 1 to 65535.");
            }
        }

        private static string ValidTag(string tag)
        {
            if (tag == null || !s_tag.IsMatch(tag))
            {
                throw new FormatException("'" + tag + "' is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.");
            }

            return tag;
        }
    }
}
