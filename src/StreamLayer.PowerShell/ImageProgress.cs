using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using StreamLayer.Registry.Images;

namespace StreamLayer.Commands
{
    /// <summary>
    /// The progress of an image's steps, as two records: the step (which base layer of how many, which write of the
    /// image) and under it, as a child record, the blob being copied with its bytes and SecondsRemaining. The core
    /// reports from its threads; the pipeline thread writes every new step and, twice a second, the bytes.
    /// </summary>
    internal sealed class ImageProgress : IProgress<ImageStep>
    {
        private const int ParentId = 0x5174;
        private const int ChildId = 0x5175;
        private const int IntervalMs = 500;

        private readonly string _activity;
        private readonly ConcurrentQueue<ImageStep> _newSteps = new ConcurrentQueue<ImageStep>();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private ImageStep _latest;
        private ImageStep _written;
        private long _stepStartedMs;
        private long _lastWrittenMs;
        private bool _shown;

        public ImageProgress(string activity) => _activity = activity;

        /// <summary>On any thread: a step began, or moved on. Its start and its end are always shown.</summary>
        public void Report(ImageStep step)
        {
            ImageStep previous = Interlocked.Exchange(ref _latest, step);
            bool began = previous == null || previous.Number != step.Number || previous.Activity != step.Activity;
            bool ended = step.BytesTotal > 0 && step.BytesDone >= step.BytesTotal;
            if (began || ended)
            {
                _newSteps.Enqueue(step);
            }
        }

        /// <summary>On the pipeline thread: writes each step that began since the last call, then the latest bytes.</summary>
        public void WriteTo(Cmdlet cmdlet)
        {
            // A stopping command writes nothing: the record would throw, ahead of the cleanup still to come.
            if (cmdlet.Stopping)
            {
                return;
            }

            long now = _clock.ElapsedMilliseconds;
            while (_newSteps.TryDequeue(out ImageStep step))
            {
                if (step != _written && (_written == null || _written.Number != step.Number || _written.Activity != step.Activity))
                {
                    _stepStartedMs = now;
                }

                Write(cmdlet, step, now);
            }

            ImageStep latest = Volatile.Read(ref _latest);
            if (latest != null && latest != _written && now - _lastWrittenMs >= IntervalMs)
            {
                Write(cmdlet, latest, now);
            }
        }

        /// <summary>Takes both records away, if they were shown.</summary>
        public void Complete(Cmdlet cmdlet)
        {
            WriteTo(cmdlet);
            if (_shown && !cmdlet.Stopping)
            {
                _shown = false;
                cmdlet.WriteProgress(new ProgressRecord(ChildId, "Done", "Done") { ParentActivityId = ParentId, RecordType = ProgressRecordType.Completed });
                cmdlet.WriteProgress(new ProgressRecord(ParentId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private void Write(Cmdlet cmdlet, ImageStep step, long now)
        {
            _written = step;
            _lastWrittenMs = now;
            _shown = true;
            cmdlet.WriteProgress(new ProgressRecord(ParentId, _activity, step.Activity + " (" + step.Number + " of " + step.Count + ")")
            {
                PercentComplete = (int)((step.Number - 1) * 100L / Math.Max(1, step.Count)),
            });

            string what = step.Activity + " " + Short(step.Digest);
            string status = step.BytesTotal >= 0
                ? LayerProgress.FormatBytes(step.BytesDone) + " of " + LayerProgress.FormatBytes(step.BytesTotal)
                : LayerProgress.FormatBytes(step.BytesDone);
            var child = new ProgressRecord(ChildId, what, status) { ParentActivityId = ParentId };
            if (step.BytesTotal > 0)
            {
                child.PercentComplete = (int)Math.Min(100, step.BytesDone * 100 / step.BytesTotal);
                double seconds = (now - _stepStartedMs) / 1000.0;
                if (step.BytesDone >= step.BytesTotal)
                {
                    child.SecondsRemaining = 0;
                }
                else if (step.BytesDone > 0 && seconds > 0)
                {
                    // The rate so far, over what is left of this blob.
                    child.SecondsRemaining = (int)Math.Ceiling((step.BytesTotal - step.BytesDone) / (step.BytesDone / seconds));
                }
            }

            cmdlet.WriteProgress(child);
        }

        private static string Short(string digest) =>
            digest == null ? string.Empty : digest.Length > 19 ? digest.Substring(0, 19) : digest;
    }
}
