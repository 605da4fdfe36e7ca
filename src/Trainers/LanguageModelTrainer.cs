using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetRnn.Onnx;
using MlNetRnn.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers;

/// <summary>
/// Trains a character (or word) language model with TorchSharp (embedding → LSTM/GRU/RNN stack → linear head over the
/// vocabulary at every step), exports it to ONNX with state inputs and outputs, checks the export against TorchSharp, and
/// returns a <see cref="LanguageModel"/> that generates through ONNX Runtime. Create it with <c>mlContext.Rnn().LanguageModel(...)</c>.
/// </summary>
/// <remarks>
/// The corpus is split by position: the last <see cref="LanguageModelOptions.ValidationFraction"/> is the validation text. A character
/// vocabulary is built from the whole corpus (a character that appears only in the validation part still gets an id); a word
/// vocabulary is built from the training part and maps other words to <c>&lt;unk&gt;</c>.
/// </remarks>
public sealed class LanguageModelTrainer
{
    /// <summary>The unknown-word token of word vocabularies.</summary>
    public const string UnknownWord = "<unk>";

    private readonly MLContext _mlContext;
    private readonly LanguageModelOptions _options;

    internal LanguageModelTrainer(MLContext mlContext, LanguageModelOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
    }

    /// <summary>Trains on the rows of the text column, joined with newlines in row order.</summary>
    /// <exception cref="ArgumentException">The column is missing or not text, or the corpus is empty or shorter than one sequence.</exception>
    public LanguageModel Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rows = SchemaValidation.ReadText(input, _options.TextColumnName, "text");
        return Fit(string.Join('\n', rows), $"text column '{_options.TextColumnName}'");
    }

    /// <summary>Trains on a UTF-8 text file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public LanguageModel FitFile(string corpusPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(corpusPath);
        if (!File.Exists(corpusPath))
            throw new FileNotFoundException($"Corpus file '{corpusPath}' does not exist.", corpusPath);
        return Fit(File.ReadAllText(corpusPath), $"corpus file '{corpusPath}'");
    }

    /// <summary>Trains on a corpus given as a string.</summary>
    /// <exception cref="ArgumentException">The corpus is empty or shorter than one sequence.</exception>
    public LanguageModel Fit(string corpus) => Fit(corpus, "the corpus");

    private LanguageModel Fit(string corpus, string source)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var o = _options;
        var host = ((IHostEnvironment)_mlContext).Register("MlNetRnn.LanguageModel");
        using var channel = host.Start("Fit");
        int seed = o.Seed ?? host.Rand.Next();
        string unitName = o.Unit == TextUnit.Character ? "character" : "word";

        var tokens = TextUnits.Split(corpus, o.Unit);
        if (tokens.Count == 0)
            throw new ArgumentException($"The {source} is empty: a language model needs text to learn from.");
        int validationCount = (int)(tokens.Count * o.ValidationFraction);
        int trainCount = tokens.Count - validationCount;
        if (trainCount < o.SequenceLength + 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The {source} has {tokens.Count} {unitName}s; after holding out {o.ValidationFraction:P0} for validation, {trainCount} remain for training, " +
                $"but one training sequence needs SequenceLength + 1 = {o.SequenceLength + 1}. Use a longer corpus or a shorter SequenceLength."));
        var vocabulary = o.Unit == TextUnit.Character
            ? Vocabulary.Build(tokens, o.MinimumFrequency, o.MaximumVocabularySize)
            : Vocabulary.Build(tokens.Take(trainCount), o.MinimumFrequency, o.MaximumVocabularySize, unknownToken: UnknownWord);
        if (o.Unit == TextUnit.Character && vocabulary.Count < tokens.Distinct().Count())
            vocabulary = Vocabulary.Build(tokens, o.MinimumFrequency, o.MaximumVocabularySize, unknownToken: "\uFFFD");
        long[] ids = tokens.Select(t => (long)vocabulary.IdOf(t)).ToArray();
        long[] trainIds = ids[..trainCount];
        long[] validationIds = ids[trainCount..];
        channel.Info(MessageSensitivity.None, $"{tokens.Count} {unitName}s from the {source}: {trainCount} for training, {validationCount} (the end) for validation; vocabulary of {vocabulary.Count}.");

        var architecture = new RecurrentArchitecture(o.Cell, o.EmbeddingSize, o.HiddenSize, o.NumberOfLayers, Bidirectional: false);
        var description = new SequenceModelDescription(architecture, vocabulary.Count)
        {
            Task = LanguageModelMetadata.TaskName,
            VocabularySize = vocabulary.Count,
            Pooling = SequencePooling.EveryStep,
            Activation = HeadActivation.Softmax,
            ExposesState = true,
        };
        var settings = new LanguageModelSettings(o.Epochs, o.BatchSize, o.SequenceLength, o.LearningRate, o.LearningRateDecay, o.GradientClipNorm, o.Patience, o.TimeBudget);
        long[] held = (validationIds.Length >= 2 ? validationIds : trainIds)[..Math.Min(200, validationIds.Length >= 2 ? validationIds.Length : trainIds.Length)];

        LanguageModelTrainingResult result;
        WeightSet weights;
        float[] torchLogits;
        string trainingDevice;
        string? trainingNote;
        lock (TorchGate.Lock)
        {
            torch.manual_seed(seed);
            var device = TorchDeviceSelector.Resolve(o.Device, out trainingNote);
            trainingDevice = device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu";
            if (trainingNote is not null)
                channel.Warning(MessageSensitivity.None, trainingNote);
            using var network = new RecurrentSequenceNetwork(description, o.Dropout);
            network.to(device);
            result = LanguageModelTrainingLoop.Train(network, device, trainIds, validationIds, settings, o.Progress,
                message => channel.Info(MessageSensitivity.None, message), o.CancellationToken);
            weights = network.ExportWeights();
            // The reference runs on the CPU: cuDNN's TF32 kernels differ from CPU results by more than the check allows.
            using var cpuNetwork = new RecurrentSequenceNetwork(description);
            cpuNetwork.LoadWeights(weights);
            cpuNetwork.eval();
            using var noGrad = torch.no_grad();
            using var x = torch.tensor(held, new long[] { 1, held.Length });
            using var output = cpuNetwork.Forward(x);
            torchLogits = output.Output.contiguous().data<float>().ToArray();
        }

        var history = result.History;
        var metadata = LanguageModelMetadata.Entries(vocabulary, o.Unit).Concat(TrainingMetadata(history, result, seed, trainingDevice)).ToList();
        byte[] onnx = SequenceOnnxExporter.Export(description, weights, metadata);
        float[] onnxLogits;
        using (var session = new OnnxStatefulSession(onnx))
            onnxLogits = session.Run(held);
        var parity = OnnxParityCheck.Verify(torchLogits, onnxLogits);
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"ONNX parity check passed: max abs diff {parity.MaxAbsDiff:G3} over {parity.Count} logits."));
        return LanguageModel.Create(onnx, history, parity, result.TokensPerSecond, o.InferenceDevice, channel);
    }

    private static IEnumerable<KeyValuePair<string, string>> TrainingMetadata(TrainingHistory history, LanguageModelTrainingResult result, int seed, string device)
    {
        static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        yield return new(LanguageModel.MetadataTrainLoss, JsonSerializer.Serialize(history.TrainLoss));
        yield return new(LanguageModel.MetadataValidationLoss, JsonSerializer.Serialize(history.ValidationLoss));
        yield return new(LanguageModel.MetadataBestEpoch, history.BestEpoch.ToString(CultureInfo.InvariantCulture));
        yield return new(LanguageModel.MetadataStoppedEarly, history.StoppedEarly ? "true" : "false");
        yield return new(LanguageModel.MetadataTrainSeconds, N(history.Duration.TotalSeconds));
        yield return new(LanguageModel.MetadataTokensPerSecond, N(result.TokensPerSecond));
        yield return new("training.seed", seed.ToString(CultureInfo.InvariantCulture));
        yield return new("training.device", device);
        yield return new(OnnxMetadataKeys.TorchSharpVersion, typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown");
    }
}
