using System.IO.Compression;
using System.Text;
using Xunit;

namespace MlNetRnn.Tests.Transforms.Text;

/// <summary>The word-vectors loader on GloVe, word2vec and fastText text files, plain and gzip, and on every kind of damaged file.</summary>
public sealed class WordVectorsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"mlnetrnn-vectors-{Guid.NewGuid():N}");

    public WordVectorsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text, bool gzip = false)
    {
        string path = Path.Combine(_dir, name);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (gzip)
        {
            using var file = File.Create(path);
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        return path;
    }

    [Fact]
    public void ReadsGloveText()
    {
        var vectors = WordVectors.Load(Write("glove.txt", "the 0.5 -1 2e-1\ngood 1 2 3\r\nbad -1 -2 -3\n"));

        Assert.Equal(3, vectors.Dimension);
        Assert.Equal(3, vectors.Count);
        Assert.Equal(new[] { 0.5f, -1f, 0.2f }, vectors["the"].ToArray());
        Assert.Equal(new[] { 1f, 2f, 3f }, vectors["good"].ToArray());
        Assert.True(vectors["missing"].IsEmpty);
        Assert.False(vectors.Contains("missing"));
    }

    [Fact]
    public void ReadsAGzippedFastTextFileWithItsHeaderWhateverItsName()
    {
        // The gzip is recognised from its bytes: the name says nothing.
        var vectors = WordVectors.Load(Write("vectors.vec", "2 2\nhello 0.25 0.5\nworld -0.25 1\n", gzip: true), expectedDimension: 2);

        Assert.Equal(2, vectors.Count);
        Assert.Equal(new[] { -0.25f, 1f }, vectors["world"].ToArray());
    }

    [Fact]
    public void NormalisedKeysKeepTheFirstLine()
    {
        var vectors = WordVectors.Load(Write("cased.vec", "Apple 1 1\napple 2 2\nBANANA 3 3\n"), normalize: w => w.ToLowerInvariant());

        Assert.Equal(new[] { 1f, 1f }, vectors["apple"].ToArray());
        Assert.Equal(new[] { 3f, 3f }, vectors["banana"].ToArray());
        Assert.False(vectors.Contains("Apple"));
    }

    [Theory]
    [InlineData("a 1 2\nb 1 2 3\n", null, "line 2: the word 'b' has 3 values, but the file's other lines have 2")]
    [InlineData("a 1 2\nb 1 2\na 3 4\n", null, "line 3: the word 'a' already had a vector on line 1")]
    [InlineData("a 1 x\n", null, "line 1: value 2 of the word 'a' is 'x', not a finite number")]
    [InlineData("a 1 NaN\n", null, "value 2 of the word 'a' is 'NaN'")]
    [InlineData("3 2\na 1 2\nb 1 2\n", null, "the header says 3 words, but the file has 2")]
    [InlineData("2 2\na 1 2\nb 1 2\n", 3, "line 1: the header says 2 values per word, but 3 are needed")]
    [InlineData("a 1 2\nb 1 2\n", 3, "line 1: the word 'a' has 2 values, but 3 are needed (the embedding size)")]
    [InlineData("\n\n", null, "holds no word vectors")]
    public void DamagedFilesNameTheFileAndLine(string text, int? dimension, string expected)
    {
        string path = Write("bad.txt", text);
        var error = Assert.Throws<InvalidDataException>(() => WordVectors.Load(path, dimension));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ANonUtf8FileAndAMissingFileAreClearErrors()
    {
        string latin1 = Path.Combine(_dir, "latin1.txt");
        File.WriteAllBytes(latin1, new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)' ', (byte)'1', (byte)'\n' });
        Assert.Contains("latin1.txt", Assert.Throws<InvalidDataException>(() => WordVectors.Load(latin1)).Message);
        Assert.Throws<FileNotFoundException>(() => WordVectors.Load(Path.Combine(_dir, "nope.txt")));
    }
}
