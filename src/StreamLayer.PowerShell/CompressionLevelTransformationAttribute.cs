using System;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>Lets -CompressionLevel take .NET's level names as well as numbers.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class CompressionLevelTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value is string name)
            {
                switch (name.Trim().ToLowerInvariant())
                {
                    case "nocompression": return 0;
                    case "fastest": return 1;
                    case "optimal": return 6;
                    case "smallestsize": return 9;
                }
            }

            return inputData;
        }
    }
}
