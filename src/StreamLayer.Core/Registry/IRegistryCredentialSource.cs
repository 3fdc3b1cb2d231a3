using System.Threading;
using System.Threading.Tasks;

namespace StreamLayer.Registry
{
    /// <summary>Finds stored credentials for a registry, e.g. in docker's and podman's config files.</summary>
    internal interface IRegistryCredentialSource
    {
        /// <summary>The places looked in, for messages: "docker config /home/me/.docker/config.json, ...".</summary>
        string Description { get; }

        /// <summary>The credentials stored for the repository's registry, or null when there are none.</summary>
        Task<RegistryCredential> FindAsync(ImageReference repository, CancellationToken cancellationToken);
    }
}
