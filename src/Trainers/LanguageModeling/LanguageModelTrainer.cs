using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetRnn.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.LanguageModeling;

/// <summary>
/// Trains a character (or word) language model with TorchSharp (embedding → LSTM/GRU/RNN stack → linear head over the
/// vocabulary at every step), exports it to ONNX with state inputs and outputs, checks the export against TorchSharp, and
/// returns a <see cref="LanguageModel"/> that generates through ONNX Runtime. Create it with <c>mlContext.Rnn().LanguageModel(...)</c>.
/// </summary>
/// <remarks>
/// The corpus is split by position: the last <see cref="RecurrentTrainerOptions.ValidationFraction"/> is the validation text. A character
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
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is binary or not UTF-8 (the message names the byte offset and line).</exception>
    public LanguageModel FitFile(string corpusPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(corpusPath);
        if (Directory.Exists(corpusPath))
            throw new IOException($"Corpus file '{corpusPath}' is a folder; a file is expected. Give the path of the file inside it.");
        if (!File.Exists(corpusPath))
            throw new FileNotFoundException($"Corpus file '{corpusPath}' does not exist.", corpusPath);
        return Fit(Utf8Text.Decode(File.ReadAllBytes(corpusPath), $"Corpus file '{corpusPath}'"), $"corpus file '{corpusPath}'");
    }

    /// <summary>Trains on a corpus given as a string.</summary>
    /// <exception cref="ArgumentException">The corpus is empty or shorter than one sequence.</exception>
    public LanguageModel Fit(string corpus) => Fit(corpus, "the corpus");

    private LanguageModel Fit(string corpus, string source)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var o = _options;
        using var session = FitSession.Start(_mlContext, "MlNetRnn.LanguageModel", o);
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
        session.Info($"{tokens.Count} {unitName}s from the {source}: {trainCount} for training, {validationCount} (the end) for validation; vocabulary of {vocabulary.Count}.");

        var architecture = new RecurrentArchitecture(o.Cell, o.EmbeddingSize, o.HiddenSize, o.NumberOfLayers, Bidirectional: false);
        var description = new SequenceModelDescription(architecture, vocabulary.Count)
        {
            Task = LanguageModelMetadata.TaskName,
            VocabularySize = vocabulary.Count,
            Pooling = SequencePooling.EveryStep,
            Activation = HeadActivation.Softmax,
            ExposesState = true,
        };
        var settings = new LanguageModelSettings(o.Epochs, o.BatchSize, o.SequenceLength, o.LearningRate, o.CreateSchedule(), o.GradientClipNorm, o.Patience, o.TimeBudget);
        long[] held = (validationIds.Length >= 2 ? validationIds : trainIds)[..Math.Min(200, validationIds.Length >= 2 ? validationIds.Length : trainIds.Length)];
        var checkpoints = session.Checkpoints(FitSession.DataDigest(new[] { trainIds, validationIds }));

        var (result, weights, torchLogits) = session.Train(device =>
        {
            using var network = new RecurrentSequenceNetwork(description, o.Dropout);
            network.to(device);
            var result = LanguageModelTrainingLoop.Train(network, device, trainIds, validationIds, settings, o.Progress, session.Info, o.CancellationToken, checkpoints);
            var logits = FitSession.OnCpu(network, device, o.Dropout, cpu =>
            {
                cpu.eval();
                using var noGrad = torch.no_grad();
                using var x = torch.tensor(held, new long[] { 1, held.Length });
                using var output = cpu.Forward(x);
                return output.Output.contiguous().data<float>().ToArray();
            });
            return (result, network.ExportWeights(), logits);
        });

        var history = result.History;
        var metadata = LanguageModelMetadata.Entries(vocabulary, o.Unit).Concat(session.Metadata(history, result.TokensPerSecond)).ToList();
        byte[] onnx = SequenceOnnxExporter.Export(description, weights, metadata);
        float[] onnxLogits;
        using (var scoring = new OnnxStatefulSession(onnx))
            onnxLogits = scoring.Run(held);
        var parity = session.VerifyParity(torchLogits, onnxLogits, "logits");
        return LanguageModel.Create(onnx, history, parity, result.TokensPerSecond, o.InferenceDevice, session.Channel);
    }
}
