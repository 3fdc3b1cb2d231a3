using System;
using System.Globalization;

namespace StreamLayer.Registry.Http
{
    /// <summary>Durations as the log and messages write them: "1.5 s".</summary>
    internal static class Seconds
    {
        public static string Format(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }
}
