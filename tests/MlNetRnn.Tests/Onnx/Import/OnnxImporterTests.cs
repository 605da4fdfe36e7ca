using Google.Protobuf;
using Microsoft.ML;
using MlNetRnn.Onnx.Protobuf;
using MlNetRnn.Trainers.Forecasting;
using MlNetRnn.Transforms;
using TorchSharp;
using Xunit;

namespace MlNetRnn.Tests.Onnx.Import;

/// <summary>Reading exported models back: exact round trips, reloading for training, and refusing foreign, broken or escaping files.</summary>
public sealed class OnnxImporterTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mlnetrnn-import-" + Guid.NewGuid().ToString("N"));

    public OnnxImporterTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] SampleSequenceModel(out WeightSet weights)
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Lstm, 4, 6, 2, true);
        weights = RandomWeights.Create(arch, 3, 11, vocabularySize: 9);
        var description = new SequenceModelDescription(arch, 3) { Task = "classification", VocabularySize = 9, Activation = HeadActivation.Softmax, UsesLengths = true };
        return SequenceOnnxExporter.Export(description, weights, new[] { KeyValuePair.Create("vocab", "[\"a\",\"b\"]"), KeyValuePair.Create("labels", "[\"x\",\"y\",\"z\"]") });
    }

    [Fact]
    public void ForecasterRoundTripIsByteIdenticalAndKeepsDescription()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 7, 3, true, HasBias: false);
        var weights = RandomWeights.Create(arch, 4, 3);
        var description = new ForecastingModelDescription(arch, 10, 4, new SeriesScaler(SeriesScalingKind.MinMax, true, 1.25f, 3.5f), true);
        byte[] model = ForecastingOnnxExporter.Export(description, weights, new[] { KeyValuePair.Create("training.epochs_run", "12") });

        var imported = OnnxModelImporter.Import(model);

        Assert.Equal(ForecastingOnnxExporter.TaskName, imported.Task);
        Assert.Null(imported.Sequence);
        var f = imported.Forecasting!;
        Assert.Equal(arch, f.Architecture);
        Assert.Equal((10, 4, true, "Features", "Score"), (f.Window, f.Horizon, f.RelativeToWindow, f.InputName, f.OutputName));
        Assert.Equal((SeriesScalingKind.MinMax, true, 1.25f, 3.5f), (f.Scaler.Kind, f.Scaler.Log, f.Scaler.Center, f.Scaler.Scale));
        Assert.Equal(new[] { KeyValuePair.Create("training.epochs_run", "12") }, imported.ExtraMetadata);
        foreach (var tensor in weights.Tensors)
            Assert.Equal(tensor.Data, imported.Weights.Get(tensor.Name, tensor.Shape).Data);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void SequenceModelRoundTripKeepsVocabularyMetadataAndWeights()
    {
        byte[] model = SampleSequenceModel(out var weights);
        var imported = OnnxModelImporter.Import(model);

        Assert.Equal("classification", imported.Task);
        Assert.Equal(9, imported.Sequence!.VocabularySize);
        Assert.Equal(HeadActivation.Softmax, imported.Sequence.Activation);
        Assert.True(imported.Sequence.UsesLengths);
        Assert.Equal("[\"a\",\"b\"]", imported.Metadata["vocab"]);
        Assert.Equal(weights.Get("embedding.weight").Data, imported.Weights.Get("embedding.weight").Data);
        Assert.Equal(model, imported.Export());
    }

    [Fact]
    public void ImportedForecasterReproducesTheTrainedModelAndContinuesTraining()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.AsView(mlContext, TestData.AirPassengers());
        var options = ForecasterTestOptions.Small(epochs: 6);
        using var trained = mlContext.Rnn().Forecaster(options).Fit(data);
        string path = Path.Combine(_folder, "model.onnx");
        trained.SaveOnnx(path);

        var imported = mlContext.Rnn().ImportOnnx(path);

        // The imported TorchSharp network must give what the deployed ONNX model gives.
        float[] history = TestData.AirPassengers()[^12..];
        float[] onnx = trained.Forecast(history);
        var f = imported.Forecasting!;
        var prep = new ForecastPreprocessing(f.Window, f.Horizon, f.Scaler, f.RelativeToWindow, f.ReferenceSeason);
        var (inputs, references) = prep.ScaleInputs(history);
        float[] torchOut;
        lock (TorchGate.Lock)
        {
            using var network = new RecurrentSequenceNetwork(f.Architecture, f.Horizon, 0);
            network.LoadWeights(imported.Weights);
            network.eval();
            using var noGrad = torch.no_grad();
            using var x = torch.tensor(inputs, new long[] { 1, f.Window, 1 });
            using var y = network.call(x);
            torchOut = y.data<float>().ToArray();
        }
        // The graph blends the network (plus its reference) with the imported linear part, all in scaled space.
        Assert.Equal(0.8f, f.LinearShare);
        float[] linear = LinearPart.Apply(imported.Weights.Get("linear.weight", f.Window, f.Horizon).Data, imported.Weights.Get("linear.bias", f.Horizon).Data,
            history.Select(f.Scaler.Transform).ToArray(), f.Window, f.Horizon);
        for (int i = 0; i < torchOut.Length; i++)
            torchOut[i] = f.Scaler.Inverse((1 - f.LinearShare) * (torchOut[i] + references[i]) + f.LinearShare * linear[i]);
        for (int i = 0; i < onnx.Length; i++)
            Assert.True(Math.Abs(onnx[i] - torchOut[i]) <= 1e-5 + 1e-4 * Math.Abs(onnx[i]), $"step {i}: onnx {onnx[i]} torch {torchOut[i]}");

        // Continuing from the imported weights starts where the first run ended, far below a cold start's first epoch.
        var oneEpoch = ForecasterTestOptions.Small(epochs: 1);
        oneEpoch.RefitOnAllWindows = false;
        using var cold = mlContext.Rnn().Forecaster(oneEpoch).Fit(data);
        using var warm = mlContext.Rnn().Forecaster(oneEpoch).Fit(data, imported);
        Assert.True(warm.History!.TrainLoss[0] < cold.History!.TrainLoss[0] * 0.8,
            $"warm-start first-epoch loss {warm.History.TrainLoss[0]} vs cold {cold.History.TrainLoss[0]}");
    }

    [Fact]
    public void WarmStartWithMismatchedOptionsNamesEveryDifference()
    {
        var arch = new RecurrentArchitecture(RecurrentCellKind.Gru, 1, 8, 1, false);
        var imported = OnnxModelImporter.Import(ForecastingOnnxExporter.Export(
            new ForecastingModelDescription(arch, 12, 3, SeriesScaler.Identity, true), RandomWeights.Create(arch, 3, 1)));
        var options = ForecasterTestOptions.Small(RecurrentCellKind.Lstm);
        options.Window = 10;
        var mlContext = new MLContext(seed: 1);

        var ex = Assert.Throws<ArgumentException>(() => mlContext.Rnn().Forecaster(options).Fit(TestData.AsView(mlContext, TestData.AirPassengers()), imported));
        Assert.Contains("Cell: options Lstm, model Gru", ex.Message);
        Assert.Contains("Window: options 10, model 12", ex.Message);
        Assert.Contains("LogTransform", ex.Message);

        var sequence = OnnxModelImporter.Import(SampleSequenceModel(out _));
        var notForecaster = Assert.Throws<ArgumentException>(() => mlContext.Rnn().Forecaster(options).Fit(TestData.AsView(mlContext, TestData.AirPassengers()), sequence));
        Assert.Contains("'classification' model, not a forecaster", notForecaster.Message);
    }

    [Fact]
    public void TruncatedFilesAreRejectedAtEveryLength()
    {
        byte[] model = SampleSequenceModel(out _);
        var cuts = Enumerable.Range(0, 40).Select(i => model.Length * i / 40).Concat(new[] { model.Length - 1, model.Length - 7 }).Distinct();
        foreach (int length in cuts)
        {
            var ex = Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(model[..length]));
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }
    }

    [Fact]
    public void ForeignMalformedAndModifiedModelsAreRejected()
    {
        byte[] model = SampleSequenceModel(out _);

        var notOnnx = Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import("this is not a model"u8.ToArray()));
        Assert.Contains("not a valid ONNX model", notOnnx.Message);

        var foreign = ModelProto.Parser.ParseFrom(model);
        foreign.ProducerName = "pytorch";
        Assert.Contains("produced by 'pytorch'", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(foreign.ToByteArray())).Message);

        var edited = ModelProto.Parser.ParseFrom(model);
        var w = edited.Graph.Initializer.First(t => t.Name == "rnn.l0.W");
        byte[] raw = w.RawData.ToByteArray();
        raw[5] ^= 0x40;
        w.RawData = ByteString.CopyFrom(raw);
        Assert.Contains("do not match their checksum", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(edited.ToByteArray())).Message);

        var stripped = ModelProto.Parser.ParseFrom(model);
        stripped.MetadataProps.Clear();
        Assert.Contains("lacks the metadata key", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(stripped.ToByteArray())).Message);

        var missing = Path.Combine(_folder, "absent.onnx");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => OnnxModelImporter.ImportFile(missing)).Message);
    }

    [Fact]
    public void ExternalDataInsideTheFolderIsReadAndPathsOutsideItAreRefused()
    {
        byte[] model = SampleSequenceModel(out var weights);
        string modelDir = Path.Combine(_folder, "model");
        Directory.CreateDirectory(modelDir);
        string outside = Path.Combine(_folder, "outside.bin");

        string Write(string location, string? writeTo)
        {
            var proto = ModelProto.Parser.ParseFrom(model);
            var tensor = proto.Graph.Initializer.First(t => t.Name == "embedding.weight");
            byte[] bytes = tensor.RawData.ToByteArray();
            if (writeTo is not null)
                File.WriteAllBytes(writeTo, new byte[] { 1, 2, 3 }.Concat(bytes).ToArray());
            tensor.RawData = ByteString.Empty;
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "3" });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            string path = Path.Combine(modelDir, Guid.NewGuid().ToString("N") + ".onnx");
            File.WriteAllBytes(path, proto.ToByteArray());
            return path;
        }

        var inside = OnnxModelImporter.ImportFile(Write("weights.bin", Path.Combine(modelDir, "weights.bin")));
        Assert.Equal(weights.Get("embedding.weight").Data, inside.Weights.Get("embedding.weight").Data);

        Assert.Contains("outside the model's folder", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.ImportFile(Write("../outside.bin", outside))).Message);
        Assert.Contains("absolute path", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.ImportFile(Write(outside, outside))).Message);
        // A linked folder on the way is resolved too: 'escape/outside.bin' is really the file outside.
        Directory.CreateSymbolicLink(Path.Combine(modelDir, "escape"), _folder);
        Assert.Contains("outside the model's folder", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.ImportFile(Write("escape/outside.bin", null))).Message);
        File.CreateSymbolicLink(Path.Combine(modelDir, "link.bin"), outside);
        Assert.Contains("outside the model's folder", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.ImportFile(Write("link.bin", null))).Message);
        Assert.Contains("given as bytes", Assert.Throws<InvalidDataException>(() => OnnxModelImporter.Import(File.ReadAllBytes(Write("weights.bin", null)))).Message);
    }
}
