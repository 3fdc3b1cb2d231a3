using System;
using System.Collections.Generic;

namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// What an image's runtime config and manifest are given on top of its base: Entrypoint, Cmd, WorkingDir and
    /// User replace the base's when set; Env, Labels and annotations merge by key, a null value removing the key.
    /// Keys are kept in ordinal order, so the same settings always give the same bytes.
    /// </summary>
    internal sealed class ImageSettings
    {
        /// <summary>null: the base's; empty: none.</summary>
        public IReadOnlyList<string> Entrypoint { get; set; }

        /// <summary>null: the base's, unless Entrypoint is set, which clears it as docker does; empty: none.</summary>
        public IReadOnlyList<string> Cmd { get; set; }

        public string WorkingDirectory { get; set; }

        public string User { get; set; }

        public SortedDictionary<string, string> Environment { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        public SortedDictionary<string, string> Labels { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        public SortedDictionary<string, string> Annotations { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Whether anything of the config (not the manifest) is set, so a history entry records it.</summary>
        public bool ChangesConfig =>
            Entrypoint != null || Cmd != null || WorkingDirectory != null || User != null || Environment.Count > 0 || Labels.Count > 0;
    }
}
