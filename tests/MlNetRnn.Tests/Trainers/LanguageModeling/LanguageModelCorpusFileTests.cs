using Microsoft.ML;
using MlNetRnn.Trainers;
using Xunit;

namespace MlNetRnn.Tests.Trainers.LanguageModeling;

/// <summary>The library's own file entry point refuses what the CLI refuses: folders, binary files and text that is not UTF-8.</summary>
public sealed class LanguageModelCorpusFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlnetrnn-corpus-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AFolderIsCalledAFolder()
    {
        var ex = Assert.Throws<IOException>(() => Trainer().FitFile(_dir));
        Assert.Contains("is a folder; a file is expected", ex.Message);
    }

    [Fact]
    public void Latin1TextIsRefusedWithTheByteOffsetAndLine()
    {
        string path = Path.Combine(_dir, "latin1.txt");
        File.WriteAllBytes(path, "first line\ncaf"u8.ToArray().Append((byte)0xE9).Concat("\n"u8.ToArray()).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => Trainer().FitFile(path));
        Assert.Contains($"Corpus file '{path}' is not valid UTF-8: byte offset 14 (line 2) holds 0xE9", ex.Message);
    }

    [Fact]
    public void ABinaryFileIsRefused()
    {
        string path = Path.Combine(_dir, "binary.bin");
        File.WriteAllBytes(path, new byte[] { (byte)'a', (byte)'b', 0, 1, 2, 3 });
        var ex = Assert.Throws<InvalidDataException>(() => Trainer().FitFile(path));
        Assert.Contains("looks like a binary file, not text: byte offset 2 (line 1)", ex.Message);
    }

    private static LanguageModelTrainer Trainer() => new MLContext(1).Rnn().LanguageModel(new LanguageModelOptions { HiddenSize = 4, Epochs = 1, SequenceLength = 5 });
}
