using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using StreamLayer.Layers;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The progress bar of a command's layers: bytes read, bytes out (compressed or uploaded) and the rate, with a
    /// percentage when the input's length is known. It appears after a second and changes twice a second at most.
    /// </summary>
    internal sealed class LayerProgress
    {
        private const int ActivityId = 0x5173;
        private const int DelayMs = 1000;
        private const int IntervalMs = 500;

        private readonly Cmdlet _cmdlet;
        private readonly string _activity;
        private readonly string _verb;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private LayerOperation _layer;
        private long _startedMs;
        private long _lastMs;
        private bool _shown;

        /// <param name="verb">What happens to the blob's bytes: "compressed", "uploaded".</param>
        public LayerProgress(Cmdlet cmdlet, string activity, string verb)
        {
            _cmdlet = cmdlet;
            _activity = activity;
            _verb = verb;
        }

        public void Update(LayerOperation layer, long? length = null)
        {
            // A stopping command writes nothing: the record would throw, ahead of the cleanup still to come.
            if (_cmdlet.Stopping)
            {
                return;
            }

            long now = _clock.ElapsedMilliseconds;
            if (layer != _layer)
            {
                _layer = layer;
                _startedMs = now;
                _lastMs = 0;
            }

            if (now - _startedMs < DelayMs || now - _lastMs < IntervalMs)
            {
                return;
            }

            _lastMs = now;
            double seconds = (now - _startedMs) / 1000.0;
            long read = layer.BytesIn;
            string status = string.Format(
                CultureInfo.CurrentCulture,
                "{0} read, {1} {2}, {3}/s",
                FormatBytes(read),
                FormatBytes(layer.BytesOut),
                _verb,
                FormatBytes(seconds > 0 ? (long)(read / seconds) : 0));
            var record = new ProgressRecord(ActivityId, _activity, status);
            if (length > 0)
            {
                record.PercentComplete = (int)Math.Min(100, read * 100 / length.Value);
            }

            _cmdlet.WriteProgress(record);
            _shown = true;
        }

        /// <summary>Takes the bar away, if it was shown.</summary>
        public void Complete()
        {
            _layer = null;
            if (_shown && !_cmdlet.Stopping)
            {
                _shown = false;
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        public static string FormatBytes(long bytes)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
            double value = bytes;
            int unit = 0;
            while (value >= 1024 && unit < units.Length - 1)
            {
                value /= 1024;
                unit++;
            }

            return unit == 0
                ? string.Format(CultureInfo.CurrentCulture, "{0} B", bytes)
                : string.Format(CultureInfo.CurrentCulture, "{0:0.0} {1}", value, units[unit]);
        }
    }
}
