using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Text;
using MlNetRnn.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.TextClassification;

/// <summary>
/// Trains a recurrent text classifier with TorchSharp: ML.NET's own text normalisation and word tokenisation, a vocabulary built
/// from the training split, an embedding and an LSTM/GRU/RNN over each text's words (variable lengths, packed), and a sigmoid head
/// (Boolean label) or a softmax head (key label). The model is exported to ONNX (vocabulary lookup, truncation and a begin token
/// inside the graph), checked against TorchSharp, and returned as a <see cref="TextClassifierTransformer"/>: ML.NET components
/// around ML.NET's OnnxTransformer, with ML.NET's output columns, so the usual evaluators and Save/Load work.
/// </summary>
/// <remarks>
/// <para>Output columns: binary <c>Score</c> (logit), <c>Probability</c>, <c>PredictedLabel</c> (Boolean); multiclass <c>Score</c>
/// (Vector&lt;Single, classes&gt; of probabilities) and <c>PredictedLabel</c> (a key whose values are the label column's key values).</para>
/// <para>Rows whose key label is missing are skipped. Texts are lower-cased (optional), stripped of punctuation, split at whitespace,
/// truncated to <see cref="TextClassifierOptions.MaxLength"/> words and preceded by a begin token, so an empty text still gets a prediction.</para>
/// </remarks>
public sealed class TextClassifierTrainer : IEstimator<TextClassifierTransformer>
{
    internal const string NormalizedColumn = "MlNetRnn.Normalized";
    internal const string TokensColumn = SequenceOnnxNames.Tokens;
    internal const int PadId = 0, UnknownId = 1, BeginId = 2;
    internal static readonly string[] Specials = { "<pad>", "<unk>", "<s>" };

    private readonly MLContext _mlContext;
    private readonly TextClassifierOptions _options;

    internal TextClassifierTrainer(MLContext mlContext, TextClassifierOptions options)
    {
        _mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
    }

    /// <summary>The ML.NET text preprocessing both training and the saved model use: normalise, then split into words (column <c>tokens</c>).</summary>
    internal static IEstimator<ITransformer> Preprocessing(MLContext mlContext, string textColumn, bool lowerCase) =>
        mlContext.Transforms.Text.NormalizeText(NormalizedColumn, textColumn,
                lowerCase ? TextNormalizingEstimator.CaseMode.Lower : TextNormalizingEstimator.CaseMode.None,
                keepDiacritics: true, keepPunctuations: false, keepNumbers: true)
            .Append(mlContext.Transforms.Text.TokenizeIntoWords(TokensColumn, NormalizedColumn, new[] { ' ', '\t', '\n', '\r' }));

    /// <summary>Trains on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type, there are too few rows or classes, or the label names repeat.</exception>
    /// <exception cref="InvalidOperationException">CUDA was required and is absent, training diverged, or the ONNX parity check failed.</exception>
    public TextClassifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        using var session = FitSession.Start(_mlContext, "MlNetRnn.TextClassifier", o);
        int seed = session.Seed;

        var textColumn = SchemaValidation.RequireColumn(input.Schema, o.TextColumnName, "text");
        if (textColumn.Type is not TextDataViewType && textColumn.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentException($"The text column '{o.TextColumnName}' must be text (String) or tokens (a vector of String), but it is {SchemaValidation.Describe(textColumn.Type)}.");
        var labelColumn = SchemaValidation.RequireColumn(input.Schema, o.LabelColumnName, "label");
        bool binary;
        string[] labelNames;
        if (labelColumn.Type is BooleanDataViewType)
        {
            binary = true;
            labelNames = new[] { "false", "true" };
        }
        else if (labelColumn.Type is KeyDataViewType key)
        {
            binary = false;
            labelNames = SchemaValidation.KeyNames(labelColumn, (int)key.Count);
            if (labelNames.Length < 2)
                throw new ArgumentException($"The label column '{o.LabelColumnName}' has {labelNames.Length} class; a classifier needs at least 2.");
            if (labelNames.Distinct(StringComparer.Ordinal).Count() != labelNames.Length)
                throw new ArgumentException($"The label column '{o.LabelColumnName}' has repeated key values ({string.Join(", ", labelNames)}); give each class a distinct name.");
        }
        else
        {
            throw new ArgumentException(
                $"The label column '{o.LabelColumnName}' is {SchemaValidation.Describe(labelColumn.Type)}. Binary classification needs a Boolean label " +
                "(e.g. map 0/1 or \"pos\"/\"neg\" to bool when loading), multiclass a key: mlContext.Transforms.Conversion.MapValueToKey(\"" + o.LabelColumnName + "\").");
        }

        // 1. Words, with ML.NET's own transforms: the saved model tokenises with exactly these.
        var prepared = Preprocessing(_mlContext, o.TextColumnName, o.LowerCase).Fit(input).Transform(input);
        var (tokens, labels, skipped) = ReadRows(prepared, prepared.Schema[TokensColumn], prepared.Schema[o.LabelColumnName], binary);
        if (skipped > 0)
            session.Warning($"{skipped} row(s) with a missing label were skipped.");
        if (tokens.Count < 2)
            throw new ArgumentException($"The training data has {tokens.Count} labelled row(s) in columns '{o.TextColumnName}' and '{o.LabelColumnName}'; at least 2 are needed.");

        // 2. Split by seed; the vocabulary comes from the training split only.
        var random = new Random(seed);
        var order = Enumerable.Range(0, tokens.Count).ToArray();
        random.Shuffle(order);
        int validationCount = (int)(tokens.Count * o.ValidationFraction);
        var validationRows = order[..validationCount];
        var trainRows = order[validationCount..];
        var pretrained = o.WordVectors is { } vectors ? PretrainedEmbedding.Match(_mlContext, vectors, o.LowerCase) : null;
        var vocabulary = BuildVocabulary(trainRows.SelectMany(i => tokens[i]), o, pretrained);
        long[] Encode(string[] words) => new[] { (long)BeginId }.Concat(words.Take(o.MaxLength).Select(w => (long)vocabulary.IdOf(w))).ToArray();
        var trainIds = trainRows.Select(i => Encode(tokens[i])).ToArray();
        var trainLabels = trainRows.Select(i => labels[i]).ToArray();
        var validationIds = validationRows.Select(i => Encode(tokens[i])).ToArray();
        var validationLabels = validationRows.Select(i => labels[i]).ToArray();
        session.Info($"{tokens.Count} texts: {trainRows.Length} for training, {validationCount} for validation; vocabulary of {vocabulary.Count}; " +
                                              $"{(binary ? "binary" : $"{labelNames.Length} classes")}.");

        // 3. Train.
        int outputs = binary ? 1 : labelNames.Length;
        var architecture = new RecurrentArchitecture(o.Cell, o.EmbeddingSize, o.HiddenSize, o.NumberOfLayers, o.Bidirectional);
        var network = new SequenceModelDescription(architecture, outputs)
        {
            Members = o.EnsembleSize,
            Task = TextClassifierTransformer.TaskName,
            VocabularySize = vocabulary.Count,
            Pooling = o.Pooling,
            WideTokens = o.WideTokens,
            Activation = binary ? HeadActivation.Sigmoid : HeadActivation.Softmax,
        };
        var settings = new TextClassificationSettings(o.Epochs, o.BatchSize, o.LearningRate, o.GradientClipNorm, o.Patience, seed, PadId)
        {
            Schedule = o.CreateSchedule(),
            WordDropout = o.WordDropout > 0 ? new TokenDropout(o.WordDropout, UnknownId, Specials.Length) : null,
        };
        var heldRows = (validationRows.Length > 0 ? validationRows : trainRows).Take(64).ToArray();
        var heldIds = heldRows.Select(i => Encode(tokens[i])).ToArray();
        var checkpoints = session.Checkpoints(FitSession.DataDigest(trainIds.Concat(validationIds), trainLabels.Concat(validationLabels).ToArray()));
        string? vectorsLine = null;
        (double NetworkScale, double Weight)? ngram = null;
        var (history, networkWeights, heldLogits, validationLogits) = session.Train(device =>
        {
            // One network per member (seeds s, s+1, ...), each with its own early stopping; the graph averages their logits.
            var single = network with { Members = 1 };
            var memberWeights = new List<NamedTensor>();
            var logitSum = new float[heldIds.Length * outputs];
            var validationSum = new float[o.NgramNaiveBayes && o.NgramWeight is null ? validationIds.Length * outputs : 0];
            TrainingHistory? first = null;
            var duration = TimeSpan.Zero;
            for (int k = 0; k < o.EnsembleSize; k++)
            {
                if (k > 0)
                    session.Reseed(k);
                using var model = new RecurrentSequenceNetwork(single, o.Dropout, o.MaskedPadding);
                bool[]? covered = pretrained?.Initialize(model.named_parameters().First(p => p.name == "embedding.weight").parameter, vocabulary, new[] { PadId, UnknownId, BeginId });
                model.to(device);
                using var frozen = covered is null ? null : PretrainedEmbedding.RowScales(covered, 0, device);
                using var slower = covered is null ? null : PretrainedEmbedding.RowScales(covered, o.WordVectorLearningRateScale, device);
                var runSettings = settings with { Seed = seed + k, Member = k, Members = o.EnsembleSize };
                if (covered is not null)
                {
                    if (k == 0)
                    {
                        vectorsLine = pretrained!.Describe(covered, o);
                        session.Info("word vectors: " + vectorsLine);
                    }
                    var scale = new ParameterRateScale("embedding.weight",
                        epoch => o.WordVectorTraining == WordVectorTraining.Frozen || epoch <= o.WordVectorFrozenEpochs ? frozen : slower);
                    runSettings = runSettings with { RateScales = new[] { scale } };
                }
                var history = TextClassifierTrainingLoop.Train(model, device, trainIds, trainLabels, validationIds, validationLabels, binary, runSettings, o.Progress,
                    session.Info, o.CancellationToken, checkpoints);
                first ??= history;
                duration += history.Duration;
                var logits = FitSession.OnCpu(model, device, o.Dropout, cpu => TextClassifierTrainingLoop.PredictLogits(cpu, torch.CPU, heldIds, o.BatchSize, PadId));
                for (int i = 0; i < logits.Length; i++)
                    logitSum[i] += logits[i];
                if (validationSum.Length > 0)
                {
                    var validation = FitSession.OnCpu(model, device, o.Dropout, cpu => TextClassifierTrainingLoop.PredictLogits(cpu, torch.CPU, validationIds, o.BatchSize, PadId));
                    for (int i = 0; i < validation.Length; i++)
                        validationSum[i] += validation[i];
                }
                memberWeights.AddRange(EnsembleWeights.Named(model.ExportWeights(), o.EnsembleSize, k));
            }
            // The history shown is the first member's (each member stops on its own); the duration is the whole ensemble's.
            var combined = new TrainingHistory(first!.TrainLoss, first.ValidationLoss, first.BestEpoch, first.StoppedEarly, duration, first.RefitTrainLoss, first.ResumedEpochs);
            return (combined, new WeightSet(memberWeights), Mean(logitSum, o.EnsembleSize), Mean(validationSum, o.EnsembleSize));
        });

        // 3b. The n-gram part: naive Bayes counted on the training texts, weighted by what the validation texts prefer.
        var weights = networkWeights;
        if (o.NgramNaiveBayes && trainRows.Any(i => tokens[i].Length > 0))
        {
            var bayes = NgramNaiveBayes.Fit(trainRows.Select(i => tokens[i]).ToArray(), trainLabels, binary ? 2 : labelNames.Length, binary, o.MaxLength);
            double weight = o.NgramWeight ?? TextClassifierOptions.NgramFallbackWeight, networkScale = 1;
            if (o.NgramWeight is null && validationLabels.Length > 0)
            {
                var choice = NgramNaiveBayes.ChooseWeights(validationLogits, bayes.Logits(validationRows.Select(i => tokens[i]).ToArray(), o.MaxLength), validationLabels, binary, outputs);
                (networkScale, weight) = (choice.NetworkScale, choice.Weight);
                session.Info(string.Create(CultureInfo.InvariantCulture,
                    $"n-gram part: {bayes.Part.Words.Count} words, {bayes.Part.BigramKeys.Count} word pairs; weight {weight} and network scale {networkScale} chosen on " +
                    $"{validationLabels.Length} validation texts (cross-entropy {choice.Losses.Cast<double>().Min():F4}; the networks alone {choice.Losses[0, 0]:F4})."));
            }
            if (weight > 0)
            {
                // A weight of 0 leaves the graph without the part (and the networks at full scale): it would add nothing. Once the
                // weights are chosen the counts are free to redo on every labelled text, validation texts included.
                if (validationRows.Length > 0)
                    bayes = NgramNaiveBayes.Fit(order.Select(i => tokens[i]).ToArray(), order.Select(i => labels[i]).ToArray(), binary ? 2 : labelNames.Length, binary, o.MaxLength);
                ngram = (networkScale, weight);
                weights = new WeightSet(networkWeights.Tensors.Concat(bayes.Tensors(networkScale, weight)));
                var heldPart = bayes.Logits(heldRows.Select(i => tokens[i]).ToArray(), o.MaxLength);
                for (int i = 0; i < heldLogits.Length; i++)
                    heldLogits[i] = (float)(networkScale * heldLogits[i] + weight * heldPart[i]);
                network = network with { Ngrams = bayes.Part };
            }
            else
            {
                ngram = (1, 0);
            }
        }
        var torchProbabilities = Activate(heldLogits, 1, outputs, binary);

        // 4. Export (vocabulary lookup, truncation and the begin token in the graph) and check it against TorchSharp on raw words.
        var deployed = network with
        {
            TokenStrings = vocabulary.Tokens, UnknownTokenId = UnknownId, BeginTokenId = BeginId, MaxSteps = o.MaxLength,
            UsesLengths = true, PredictedIndexOutput = !binary,
        };
        var metadata = Metadata(o, binary, labelNames).Concat(session.Metadata(history)).ToList();
        if (vectorsLine is not null)
            metadata.Add(new(TextClassifierTransformer.MetadataWordVectors, vectorsLine));
        if (ngram is { } part)
        {
            metadata.Add(new(TextClassifierTransformer.MetadataNgramWeight, part.Weight.ToString("R", CultureInfo.InvariantCulture)));
            metadata.Add(new(TextClassifierTransformer.MetadataNgramNetworkScale, part.NetworkScale.ToString("R", CultureInfo.InvariantCulture)));
        }
        byte[] onnx = SequenceOnnxExporter.Export(deployed, weights, metadata);
        byte[] rowModel = SequenceOnnxExporter.Export(deployed with { UsesLengths = false }, weights, metadata);
        float[] onnxProbabilities = TextClassifierTransformer.ScoreTokens(onnx, heldRows.Select(i => tokens[i]).ToArray(), outputs);
        var parity = session.VerifyParity(torchProbabilities, onnxProbabilities, "probabilities");

        return TextClassifierTransformer.Create(_mlContext, onnx, rowModel, input, o, binary, labelNames, vocabulary, history, parity, session.Channel);
    }

    /// <summary>The output schema: the input columns plus <c>Score</c>, <c>PredictedLabel</c> (and <c>Probability</c> for binary).</summary>
    /// <exception cref="ArgumentException">The text column is missing or not text.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var text = inputSchema.FirstOrDefault(c => c.Name == _options.TextColumnName);
        if (text.Name is null || text.ItemType is not TextDataViewType)
            throw new ArgumentException($"The text column '{_options.TextColumnName}' is missing or not text (String, or a vector of String tokens).");
        bool binary = inputSchema.Any(c => c.Name == _options.LabelColumnName && c.ItemType is BooleanDataViewType);
        // Third-party code cannot construct SchemaShape columns; a CustomMapping with the same output columns describes them.
        bool tokens = text.Kind != SchemaShape.Column.VectorKind.Scalar;
        var inDef = SchemaDefinition.Create(tokens ? typeof(TokensRow) : typeof(TextRow));
        inDef[nameof(TextRow.Text)].ColumnName = _options.TextColumnName;
        if (binary)
        {
            return tokens
                ? _mlContext.Transforms.CustomMapping<TokensRow, TextClassifierMappings.BinaryOutput>((_, _) => { }, null, inDef).GetOutputSchema(inputSchema)
                : _mlContext.Transforms.CustomMapping<TextRow, TextClassifierMappings.BinaryOutput>((_, _) => { }, null, inDef).GetOutputSchema(inputSchema);
        }
        var outDef = SchemaDefinition.Create(typeof(MulticlassRow));
        outDef[nameof(MulticlassRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), int.MaxValue);
        return tokens
            ? _mlContext.Transforms.CustomMapping<TokensRow, MulticlassRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(inputSchema)
            : _mlContext.Transforms.CustomMapping<TextRow, MulticlassRow>((_, _) => { }, null, inDef, outDef).GetOutputSchema(inputSchema);
    }

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    private sealed class TokensRow
    {
        [VectorType]
        public string[] Text { get; set; } = Array.Empty<string>();
    }

    private sealed class MulticlassRow
    {
        [VectorType]
        public float[] Score { get; set; } = Array.Empty<float>();

        public uint PredictedLabel { get; set; }
    }

    private static float[] Mean(float[] sums, int members) => sums.Select(v => v / members).ToArray();

    /// <summary>The activation of the members' mean logits, as the graph computes it: sigmoid of the one logit, or the softmax per row.</summary>
    private static float[] Activate(float[] logitSum, int members, int outputs, bool binary)
    {
        var result = new float[logitSum.Length];
        for (int row = 0; row < logitSum.Length / outputs; row++)
        {
            var mean = logitSum.AsSpan(row * outputs, outputs).ToArray().Select(v => (double)v / members).ToArray();
            if (binary)
            {
                result[row] = (float)(1 / (1 + Math.Exp(-mean[0])));
                continue;
            }
            double max = mean.Max(), sum = mean.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < outputs; c++)
                result[row * outputs + c] = (float)(Math.Exp(mean[c] - max) / sum);
        }
        return result;
    }

    private static Vocabulary BuildVocabulary(IEnumerable<string> words, TextClassifierOptions o, PretrainedEmbedding? pretrained)
    {
        var list = words.ToList();
        if (list.Count == 0)
            return Vocabulary.FromTokens(Specials, PadId, UnknownId);
        if (pretrained is not null)
        {
            // A word seen once teaches a fresh row nothing, but a pretrained row already knows it: keep those regardless of frequency.
            var kept = list.GroupBy(w => w, StringComparer.Ordinal)
                .Select(g => (Word: g.Key, Count: g.Count()))
                .Where(w => !Specials.Contains(w.Word) && (w.Count >= o.MinimumFrequency || pretrained.Covers(w.Word)))
                .OrderByDescending(w => w.Count).ThenBy(w => w.Word, StringComparer.Ordinal)
                .Select(w => w.Word);
            // Then the vectors' most frequent words the training texts lack, so a new text's unseen words keep their pretrained meaning.
            var seen = kept.ToHashSet(StringComparer.Ordinal);
            kept = kept.Concat(pretrained.Keys.Where(k => !seen.Contains(k) && !Specials.Contains(k)).Take(o.WordVectorVocabulary));
            if (o.MaximumVocabularySize > 0)
                kept = kept.Take(o.MaximumVocabularySize - Specials.Length);
            return Vocabulary.FromTokens(Specials.Concat(kept).ToArray(), PadId, UnknownId);
        }
        try
        {
            var built = Vocabulary.Build(list, o.MinimumFrequency, o.MaximumVocabularySize == 0 ? 0 : o.MaximumVocabularySize - Specials.Length);
            return Vocabulary.FromTokens(Specials.Concat(built.Tokens.Where(t => !Specials.Contains(t))).ToArray(), PadId, UnknownId);
        }
        catch (ArgumentException)
        {
            // No word is frequent enough: every word is unknown, which is still a valid (if weak) model.
            return Vocabulary.FromTokens(Specials, PadId, UnknownId);
        }
    }

    private static (List<string[]> Tokens, List<int> Labels, int Skipped) ReadRows(IDataView data, DataViewSchema.Column tokens, DataViewSchema.Column label, bool binary)
    {
        var words = new List<string[]>();
        var labels = new List<int>();
        int skipped = 0;
        using var cursor = data.GetRowCursor(new[] { tokens, label });
        var tokenGetter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tokens);
        ValueGetter<bool>? boolGetter = binary ? cursor.GetGetter<bool>(label) : null;
        ValueGetter<uint>? keyGetter = binary ? null : cursor.GetGetter<uint>(label);
        VBuffer<ReadOnlyMemory<char>> buffer = default;
        bool b = false;
        uint k = 0;
        while (cursor.MoveNext())
        {
            int y;
            if (boolGetter is not null)
            {
                boolGetter(ref b);
                y = b ? 1 : 0;
            }
            else
            {
                keyGetter!(ref k);
                if (k == 0)
                {
                    skipped++;
                    continue;
                }
                y = (int)k - 1;
            }
            tokenGetter(ref buffer);
            words.Add(buffer.DenseValues().Select(m => m.ToString()).Where(w => w.Length > 0).ToArray());
            labels.Add(y);
        }
        return (words, labels, skipped);
    }

    private static IEnumerable<KeyValuePair<string, string>> Metadata(TextClassifierOptions o, bool binary, string[] labels)
    {
        yield return new(TextClassifierTransformer.MetadataKind, binary ? "binary" : "multiclass");
        yield return new(TextClassifierTransformer.MetadataLabels, JsonSerializer.Serialize(labels));
        yield return new(TextClassifierTransformer.MetadataLowerCase, o.LowerCase ? "true" : "false");
        yield return new("text.preprocessing", "ML.NET NormalizeText(lower-case if text.lowercase, keep diacritics, drop punctuation, keep numbers), TokenizeIntoWords(space, tab, CR, LF)");
        yield return new(OnnxMetadataKeys.TextColumn, o.TextColumnName);
        yield return new(OnnxMetadataKeys.LabelColumn, o.LabelColumnName);
    }
}
