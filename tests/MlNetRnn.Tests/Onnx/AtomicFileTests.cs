using Xunit;

namespace MlNetRnn.Tests.Onnx;

public sealed class AtomicFileTests
{
    [Fact]
    public void FailedWriteLeavesTheOldFileAndNoTemporaryFiles()
    {
        string dir = Directory.CreateTempSubdirectory("mlnetrnn-atomic").FullName;
        try
        {
            string path = Path.Combine(dir, "model.onnx");
            AtomicFile.WriteAllText(path, "old");

            Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
            {
                stream.Write(new byte[100]);
                throw new InvalidOperationException("crash mid-write");
            }));

            Assert.Equal("old", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void WriteCreatesMissingFoldersAndReplacesContent()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}", "nested");
        try
        {
            string path = Path.Combine(dir, "a.bin");
            AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            AtomicFile.WriteAllBytes(path, new byte[] { 4 });
            Assert.Equal(new byte[] { 4 }, File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
