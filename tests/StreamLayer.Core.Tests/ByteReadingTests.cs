using StreamLayer.Commands;
using Xunit;

namespace StreamLayer.Tests
{
    /// <summary>The Get-Content parameter the hints name: Windows PowerShell 5.1 has no -AsByteStream.</summary>
    public class ByteReadingTests
    {
        [Fact]
        public void WindowsPowerShellGetsEncodingByteAndPowerShell7GetsAsByteStream()
        {
            Assert.Equal("-Encoding Byte", ByteReading.For(windowsPowerShell: true));
            Assert.Equal("-AsByteStream", ByteReading.For(windowsPowerShell: false));
            Assert.Equal("-AsByteStream", ByteReading.Parameter); // this runtime is .NET, as PowerShell 7's
        }
    }
}
