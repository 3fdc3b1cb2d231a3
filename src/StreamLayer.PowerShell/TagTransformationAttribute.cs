using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace StreamLayer.Commands
{
    /// <summary>
    /// Catches tags that PowerShell has already turned into numbers: -Tag 1.0 arrives as the double 1, whose
    /// text is "1", and the tag would silently be wrong. Such values are refused with the fix in the message.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class TagTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var values = new List<object>();
            object data = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (data is object[] array)
            {
                values.AddRange(array);
            }
            else
            {
                values.Add(data);
            }

            foreach (object value in values)
            {
                object number = value is PSObject inner ? inner.BaseObject : value;
                if ((number is double d && Math.Floor(d) == d && !double.IsInfinity(d)) || (number is decimal m && decimal.Truncate(m) == m && m.ToString(System.Globalization.CultureInfo.InvariantCulture).Contains(".")))
                {
                    throw new ArgumentTransformationMetadataException(
                        "PowerShell read the tag " + Convert.ToString(number, System.Globalization.CultureInfo.InvariantCulture) + " as a number and dropped its decimal zeros; quote tags that look like numbers, e.g. -Tag '1.0'.");
                }
            }

            return inputData;
        }
    }
}
