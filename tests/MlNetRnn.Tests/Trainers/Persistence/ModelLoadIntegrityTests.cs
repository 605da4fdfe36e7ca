using System.IO.Compression;
using Google.Protobuf;
using Microsoft.ML;
using MlNetRnn.Onnx.Protobuf;
using Xunit;

namespace MlNetRnn.Tests.Trainers.Persistence;

/// <summary>
/// Every loader (language model, forecaster zip and .onnx, text classifier zip, the CLI's generate --model) checks the weights against
/// the digest written at export, calls a folder a folder, and names a damaged model zip instead of passing on ML.NET's bare error.
/// </summary>
[Collection(CliCollection.Name)] // one test drives the CLI's process-wide console
public sealed class ModelLoadIntegrityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlnetrnn-integrity").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task ALanguageModelWithAlteredWeightsIsRefusedByEveryLoaderAndByGenerate()
    {
        string path = Path.Combine(_dir, "lm.onnx");
        using (var model = new MLContext(1).Rnn().LanguageModel(new LanguageModelOptions
               {
                   HiddenSize = 8, NumberOfLayers = 1, EmbeddingSize = 4, SequenceLength = 10, BatchSize = 4, Epochs = 1, Seed = 1,
               }).Fit(string.Concat(Enumerable.Repeat("to be or not to be, that is the question. ", 60))))
            model.SaveOnnx(path);
        using (LanguageModel.Load(path))
        {
        }
        File.WriteAllBytes(path, AlterWeights(File.ReadAllBytes(path)));

        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => LanguageModel.Load(path)), $"'{path}'");
        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => TextGenerator.FromFile(path)), $"'{path}'");
        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => OnnxModelImporter.ImportFile(path)), $"'{path}'");
        var (exit, console) = await CliBadInputTests.Run("generate", "--model", path, "--output", Path.Combine(_dir, "out"));
        Assert.Equal(1, exit);
        AssertNamesTheFileAndTheDigest(console, $"'{path}'");
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void AForecasterWithAlteredWeightsIsRefusedFromItsZipAndItsOnnxFile()
    {
        var ml = new MLContext(1);
        string zip = Path.Combine(_dir, "model.zip"), onnx = Path.Combine(_dir, "model.onnx");
        using (var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers())))
        {
            ml.Model.Save(model, model.WindowsSchema, zip);
            model.SaveOnnx(onnx);
        }
        using (ml.Rnn().LoadForecaster(zip))
        {
        }
        AlterEmbeddedWeights(zip);
        File.WriteAllBytes(onnx, AlterWeights(File.ReadAllBytes(onnx)));

        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => ml.Rnn().LoadForecaster(zip)), $"The ONNX model inside '{zip}'");
        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => ml.Rnn().ImportOnnx(onnx)), $"'{onnx}'");
    }

    [Fact]
    public void ATextClassifierWithAlteredWeightsIsRefusedFromItsZip()
    {
        var ml = new MLContext(1);
        var rows = Sentiment.Load("yelp_labelled.txt")[..120];
        var data = ml.Data.LoadFromEnumerable(rows);
        string zip = Path.Combine(_dir, "classifier.zip");
        using (var model = ml.Rnn().TextClassifier(new TextClassifierOptions { EmbeddingSize = 4, HiddenSize = 4, Epochs = 1, MaxLength = 10, Seed = 1 }).Fit(data))
            ml.Model.Save(model, data.Schema, zip);
        using (ml.Rnn().LoadTextClassifier(zip))
        {
        }
        AlterEmbeddedWeights(zip);

        AssertNamesTheFileAndTheDigest(Assert.Throws<InvalidDataException>(() => ml.Rnn().LoadTextClassifier(zip)), $"The ONNX model inside '{zip}'");
    }

    [Fact]
    public void ADamagedModelZipIsNamedWithWhatToDo()
    {
        var ml = new MLContext(1);
        string zip = Path.Combine(_dir, "model.zip");
        using (var model = ml.Rnn().Forecaster(ForecasterTestOptions.Small(epochs: 1)).Fit(TestData.AsView(ml, TestData.AirPassengers())))
            ml.Model.Save(model, model.WindowsSchema, zip);
        // Scramble the OnnxTransformer's own header (the ONNX bytes beside it stay intact, so only ML.NET's loader can notice).
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            var entry = archive.Entries.Single(e => e.FullName == "TransformerChain/Transform_000/Model.key");
            byte[] bytes;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            for (int i = 8; i < bytes.Length; i += 3)
                bytes[i] ^= 0x5A;
            entry.Delete();
            using var replaced = archive.CreateEntry("TransformerChain/Transform_000/Model.key").Open();
            replaced.Write(bytes);
        }

        var ex = Assert.Throws<InvalidDataException>(() => ml.Rnn().LoadForecaster(zip));

        Assert.StartsWith($"'{zip}' is damaged: ML.NET could not rebuild the model's pipeline from it (", ex.Message);
        Assert.Contains("save the model again", ex.Message);
    }

    [Fact]
    public void EveryLoaderCallsAFolderAFolder()
    {
        var ml = new MLContext(1);
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;

        Assert.Contains($"Model file '{folder}' is a folder; a file is expected.", Assert.Throws<IOException>(() => ml.Rnn().LoadForecaster(folder)).Message);
        Assert.Contains($"Model file '{folder}' is a folder; a file is expected.", Assert.Throws<IOException>(() => ml.Rnn().LoadTextClassifier(folder)).Message);
        Assert.Contains($"Language model file '{folder}' is a folder; a file is expected.", Assert.Throws<IOException>(() => LanguageModel.Load(folder)).Message);
        Assert.Contains($"Language model file '{folder}' is a folder; a file is expected.", Assert.Throws<IOException>(() => TextGenerator.FromFile(folder)).Message);
        Assert.Contains($"ONNX model file '{folder}' is a folder; a file is expected.", Assert.Throws<IOException>(() => ml.Rnn().ImportOnnx(folder)).Message);
    }

    private static void AssertNamesTheFileAndTheDigest(Exception ex, string source) => AssertNamesTheFileAndTheDigest(ex.Message, source);

    private static void AssertNamesTheFileAndTheDigest(string message, string source)
    {
        Assert.Contains($"{source}: The model's weights do not match their checksum (the SHA-256 digest in 'mlnetrnn.weights_sha256'): the file was altered or corrupted after export.", message);
        Assert.Contains("export the model again", message);
    }

    /// <summary>Flips one bit of one weight: the protobuf still parses and has the same size, only the digest can tell.</summary>
    private static byte[] AlterWeights(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var tensor = model.Graph.Initializer.First(t => t.RawData.Length >= 16 && t.Name.Contains(".W", StringComparison.Ordinal));
        byte[] raw = tensor.RawData.ToByteArray();
        raw[9] ^= 0x10;
        tensor.RawData = ByteString.CopyFrom(raw);
        byte[] altered = model.ToByteArray();
        Assert.Equal(onnx.Length, altered.Length);
        return altered;
    }

    /// <summary>Alters the weights of the ONNX model ML.NET's OnnxTransformer stores in a model zip (an Int32 length, then the bytes).</summary>
    private static void AlterEmbeddedWeights(string zip)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal)).ToList())
        {
            byte[] bytes;
            using (var stream = entry.Open())
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                bytes = copy.ToArray();
            }
            byte[] altered = AlterWeights(bytes[4..]);
            string name = entry.FullName;
            entry.Delete();
            using var replaced = archive.CreateEntry(name).Open();
            replaced.Write(bytes.AsSpan(0, 4));
            replaced.Write(altered);
        }
    }
}
