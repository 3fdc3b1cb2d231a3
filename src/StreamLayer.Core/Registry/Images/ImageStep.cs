namespace StreamLayer.Registry.Images
{
    /// <summary>
    /// Where a long image step is, for a progress bar: getting the base's blobs into place (checking, mounting,
    /// copying) or writing the image (config, manifest, tags). Reported through IProgress as the step moves.
    /// </summary>
    internal sealed class ImageStep
    {
        public ImageStep(string activity, int number, int count, string digest, long bytesDone = 0, long bytesTotal = -1)
        {
            Activity = activity;
            Number = number;
            Count = count;
            Digest = digest;
            BytesDone = bytesDone;
            BytesTotal = bytesTotal;
        }

        /// <summary>What is happening: "Copying base layer", "Mounting base layer", "Writing the manifest", ...</summary>
        public string Activity { get; }

        /// <summary>Which of <see cref="Count"/> blobs or writes this is, from 1.</summary>
        public int Number { get; }

        public int Count { get; }

        /// <summary>The blob or manifest it is about; null when there is none yet.</summary>
        public string Digest { get; }

        public long BytesDone { get; }

        /// <summary>The blob's size; -1 when it is not known.</summary>
        public long BytesTotal { get; }

        /// <summary>The same step with more of its bytes moved.</summary>
        public ImageStep WithBytes(long done) => new ImageStep(Activity, Number, Count, Digest, done, BytesTotal);
    }
}
