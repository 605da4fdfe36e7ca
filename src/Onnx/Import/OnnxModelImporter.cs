using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MlNetRnn.Onnx.Protobuf;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Import;

/// <summary>
/// Reads an ONNX model exported by this library back into TorchSharp-named weights (undoing the gate permutations) and
/// its description, so a deployed model can be reloaded for further training. Files from other producers, malformed or
/// truncated files, and external-data paths that leave the model's folder are rejected with a clear error.
/// </summary>
public static class OnnxModelImporter
{
    /// <summary>Reads a model file; external tensor data (if any) is read only from inside the file's folder.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid, complete MlNetRnn model.</exception>
    public static ImportedRecurrentModel ImportFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new IOException($"ONNX model file '{full}' is a folder; a file is expected. Give the path of the .onnx file inside it.");
        if (!File.Exists(full))
            throw new FileNotFoundException($"ONNX model file '{full}' does not exist.", full);
        try
        {
            return Import(File.ReadAllBytes(full), Path.GetDirectoryName(full));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{full}': {ex.Message}", ex);
        }
    }

    /// <summary>Reads model bytes.</summary>
    /// <param name="modelBytes">The ONNX model.</param>
    /// <param name="modelDirectory">Folder that external tensor data may be read from; null to refuse external data.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid, complete MlNetRnn model.</exception>
    public static ImportedRecurrentModel Import(byte[] modelBytes, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(modelBytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"The bytes are not a valid ONNX model; the file is truncated or corrupt ({modelBytes.Length} bytes: {ex.Message}).", ex);
        }
        if (model.Graph is null)
            throw new InvalidDataException($"The ONNX model has no graph ({modelBytes.Length} bytes); the file is truncated or not an ONNX model.");
        if (model.ProducerName != "MlNetRnn")
            throw new InvalidDataException($"The ONNX model was produced by '{model.ProducerName}', not MlNetRnn; only models exported by this library can be imported.");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps)
            metadata[entry.Key] = entry.Value;
        if (!metadata.TryGetValue(OnnxMetadataKeys.FormatVersion, out var format))
            throw new InvalidDataException($"The ONNX model lacks the metadata key '{OnnxMetadataKeys.FormatVersion}'; the file is truncated or its metadata were stripped.");
        if (format != OnnxModelWriter.ModelVersion.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"The ONNX model uses MlNetRnn format version {format}; this library reads version {OnnxModelWriter.ModelVersion}. Use a matching MlNetRnn version.");

        var initializers = ResolveInitializers(model.Graph, modelDirectory);
        VerifyDigest(model.Graph, initializers, metadata);

        string task = RecurrentMetadata.Require(metadata, OnnxMetadataKeys.Task);
        var arch = RecurrentMetadata.ReadArchitecture(metadata);
        try
        {
            arch.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The model metadata describe an invalid recurrent stack: {ex.Message}", ex);
        }
        var tensors = new List<NamedTensor>();
        ForecastingModelDescription? forecasting = null;
        SequenceModelDescription? sequence = null;
        Dictionary<string, string> standard;
        int outputs;
        if (task == ForecastingOnnxExporter.TaskName)
        {
            forecasting = ReadForecasting(metadata, arch);
            standard = ForecastingOnnxExporter.StandardMetadata(forecasting);
            outputs = forecasting.Horizon;
            for (int k = 0; k < forecasting.Members; k++)
            {
                string prefix = forecasting.MemberPrefix(k);
                CheckRecurrentNodes(model.Graph, arch, prefix + "rnn.", forecasting.UnrolledSteps);
                tensors.AddRange(RecurrentWeights(initializers, arch, prefix + "rnn."));
                tensors.Add(Float(initializers, prefix + "head.weight", prefix + "head.weight", outputs, arch.OutputSize));
                tensors.Add(Float(initializers, prefix + "head.bias", prefix + "head.bias", outputs));
            }
            if (forecasting.LinearShare > 0)
            {
                const string weight = ForecastingModelDescription.LinearWeightName, bias = ForecastingModelDescription.LinearBiasName;
                tensors.Add(Float(initializers, weight, weight, forecasting.Window, outputs));
                tensors.Add(Float(initializers, bias, bias, outputs));
            }
        }
        else
        {
            sequence = ReadSequence(metadata, arch, task);
            standard = SequenceOnnxExporter.StandardMetadata(sequence);
            outputs = sequence.OutputSize;
            for (int k = 0; k < sequence.Members; k++)
            {
                string p = sequence.MemberPrefix(k);
                CheckRecurrentNodes(model.Graph, arch, p + "rnn.", unrolled: false);
                if (sequence.UsesEmbedding)
                    tensors.Add(Float(initializers, p + "embedding.weight", p + "embedding.weight", sequence.VocabularySize, sequence.EmbeddingSize));
                if (sequence.CharacterFeatures is { } chars)
                {
                    tensors.Add(Float(initializers, p + "chars.embedding.weight", p + "chars.embedding.weight", chars.AlphabetSize, chars.EmbeddingSize));
                    tensors.Add(Float(initializers, p + "chars.conv.weight", p + "chars.conv.weight", chars.Filters, chars.EmbeddingSize, chars.KernelWidth));
                    tensors.Add(Float(initializers, p + "chars.conv.bias", p + "chars.conv.bias", chars.Filters));
                }
                tensors.AddRange(RecurrentWeights(initializers, arch, p + "rnn."));
                if (sequence.Pooling == SequencePooling.EveryStep)
                {
                    var t = Float(initializers, p + SequenceOnnxExporter.HeadWeightTransposedName, p + "head.weight_t", arch.OutputSize, outputs);
                    var w = new float[t.Data.Length];
                    for (int i = 0; i < arch.OutputSize; i++)
                    for (int o = 0; o < outputs; o++)
                        w[o * arch.OutputSize + i] = t.Data[i * outputs + o];
                    tensors.Add(new NamedTensor(p + "head.weight", new long[] { outputs, arch.OutputSize }, w));
                }
                else
                {
                    tensors.Add(Float(initializers, p + "head.weight", p + "head.weight", outputs, sequence.HeadInputSize));
                }
                tensors.Add(Float(initializers, p + "head.bias", p + "head.bias", outputs));
                if (sequence.WideTokens)
                    tensors.Add(Float(initializers, p + "wide.weight", p + "wide.weight", sequence.VocabularySize, outputs));
            }
            if (sequence.Ngrams is { } ngrams)
            {
                tensors.Add(Float(initializers, "ngrams.weight", "ngrams.weight", ngrams.Rows, outputs));
                tensors.Add(Float(initializers, "ngrams.bias", "ngrams.bias", outputs));
                tensors.Add(Float(initializers, "ngrams.network_scale", "ngrams.network_scale", 1));
            }
        }

        var extra = model.MetadataProps
            .Where(p => !standard.ContainsKey(p.Key) && p.Key != OnnxMetadataKeys.WeightsSha256)
            .Select(p => new KeyValuePair<string, string>(p.Key, p.Value))
            .ToArray();
        return new ImportedRecurrentModel(task, arch, sequence, forecasting, new WeightSet(tensors), metadata, extra);
    }

    /// <summary>
    /// Checks that the weights of a model exported by this library match the digest in its metadata
    /// (<see cref="OnnxMetadataKeys.WeightsSha256"/>), without importing it. Every loader calls this, so a model whose weights were
    /// altered or corrupted after export is refused, whether it is loaded for scoring, generation or further training.
    /// </summary>
    /// <param name="modelBytes">The ONNX model.</param>
    /// <param name="source">How messages name the model, e.g. <c>'/models/lm.onnx'</c> or <c>the ONNX model inside '/models/model.zip'</c>.</param>
    /// <param name="modelDirectory">Folder that external tensor data may be read from; null to refuse external data.</param>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model, lack the digest, or their weights do not match it (the source named).</exception>
    public static void VerifyWeights(byte[] modelBytes, string source, string? modelDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        ArgumentException.ThrowIfNullOrEmpty(source);
        try
        {
            ModelProto model;
            try
            {
                model = ModelProto.Parser.ParseFrom(modelBytes);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new InvalidDataException($"The bytes are not a valid ONNX model; the file is truncated or corrupt ({modelBytes.Length} bytes: {ex.Message}).", ex);
            }
            if (model.Graph is null)
                throw new InvalidDataException($"The ONNX model has no graph ({modelBytes.Length} bytes); the file is truncated or not an ONNX model.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in model.MetadataProps)
                metadata[entry.Key] = entry.Value;
            VerifyDigest(model.Graph, ResolveInitializers(model.Graph, modelDirectory), metadata);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The forecaster description written in a forecasting model's metadata (architecture, window, horizon, scaler, members,
    /// reference, interval), without reading its weights: the one reader of the <c>forecast.*</c> and <c>scaler.*</c> keys.
    /// </summary>
    /// <exception cref="InvalidDataException">A key is missing or holds an invalid value.</exception>
    public static ForecastingModelDescription ReadForecastingDescription(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return ReadForecasting(metadata, RecurrentMetadata.ReadArchitecture(metadata));
    }

    private static ForecastingModelDescription ReadForecasting(IReadOnlyDictionary<string, string> m, RecurrentArchitecture arch)
    {
        var kind = Enum.TryParse<SeriesScalingKind>(RecurrentMetadata.Require(m, OnnxMetadataKeys.ScalerKind), out var k)
            ? k
            : throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.ScalerKind}' holds '{m[OnnxMetadataKeys.ScalerKind]}', not a scaler kind.");
        float F(string key) => float.TryParse(RecurrentMetadata.Require(m, key), NumberStyles.Float, CultureInfo.InvariantCulture, out float v)
            ? v
            : throw new InvalidDataException($"Metadata key '{key}' holds '{m[key]}', not a number.");
        var scaler = new SeriesScaler(kind, RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.ScalerLog), F(OnnxMetadataKeys.ScalerCenter), F(OnnxMetadataKeys.ScalerScale));
        return new ForecastingModelDescription(arch,
            RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.Window),
            RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.Horizon),
            scaler,
            RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.RelativeToWindow),
            RecurrentMetadata.Require(m, OnnxMetadataKeys.InputName),
            RecurrentMetadata.Require(m, OnnxMetadataKeys.OutputName))
        {
            // Models from before ensembles and the seasonal reference lack these keys: one member, no reference, no interval.
            ReferenceSeason = m.ContainsKey(OnnxMetadataKeys.ReferenceSeason) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.ReferenceSeason) : 0,
            Members = m.ContainsKey(OnnxMetadataKeys.Members) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.Members) : 1,
            SeasonalNaiveMembers = m.ContainsKey(OnnxMetadataKeys.SeasonalNaiveMembers) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.SeasonalNaiveMembers) : null,
            Interval = ReadInterval(m, RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.Horizon)),
            NetworkWeight = m.ContainsKey(OnnxMetadataKeys.NetworkWeight) ? RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.NetworkWeight).Single() : 1f,
            UnrolledSteps = m.ContainsKey(OnnxMetadataKeys.UnrolledSteps) && RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.UnrolledSteps),
            LinearShare = ReadLinearShare(m),
            NetworkWindow = ReadNetworkWindow(m),
            LinearSeason = m.ContainsKey(OnnxMetadataKeys.LinearSeason) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.LinearSeason) : 0,
        };
    }

    private static int ReadNetworkWindow(IReadOnlyDictionary<string, string> m)
    {
        if (!m.ContainsKey(OnnxMetadataKeys.NetworkWindow))
            return 0;
        int window = RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.Window), networkWindow = RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.NetworkWindow);
        return networkWindow >= 1 && networkWindow < window
            ? networkWindow
            : throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.NetworkWindow}' holds {networkWindow}; the networks' window is at least 1 and shorter than the window ({window}) (the key is absent when the networks read the whole window).");
    }

    private static float ReadLinearShare(IReadOnlyDictionary<string, string> m)
    {
        if (!m.ContainsKey(OnnxMetadataKeys.LinearShare))
            return 0f;
        float share = RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.LinearShare).Single();
        return share > 0 && share < 1
            ? share
            : throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.LinearShare}' holds {share}; a forecaster's linear share is above 0 and below 1 (the key is absent without a linear part).");
    }

    private static ForecastIntervalOffsets? ReadInterval(IReadOnlyDictionary<string, string> m, int horizon)
    {
        if (!m.TryGetValue(OnnxMetadataKeys.IntervalCoverage, out var coverageText))
            return null;
        double coverage = double.TryParse(coverageText, NumberStyles.Float, CultureInfo.InvariantCulture, out double c)
            ? c
            : throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.IntervalCoverage}' holds '{coverageText}', not a number.");
        float[] Offsets(string key) => RecurrentMetadata.Require(m, key).Split(',').Select(t =>
            float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float v)
                ? v
                : throw new InvalidDataException($"Metadata key '{key}' holds '{t}', not a number.")).ToArray();
        var interval = new ForecastIntervalOffsets(coverage, Offsets(OnnxMetadataKeys.IntervalLower), Offsets(OnnxMetadataKeys.IntervalUpper));
        try
        {
            interval.Validate(horizon);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The model's interval metadata are invalid: {ex.Message}", ex);
        }
        return interval;
    }

    private static SequenceModelDescription ReadSequence(IReadOnlyDictionary<string, string> m, RecurrentArchitecture arch, string task)
    {
        var pooling = RecurrentMetadata.Require(m, OnnxMetadataKeys.Pooling) switch
        {
            "last_step" => SequencePooling.LastStep,
            "every_step" => SequencePooling.EveryStep,
            "mean" => SequencePooling.Mean,
            "mean_max" => SequencePooling.MeanMax,
            var other => throw new InvalidDataException($"Unknown pooling '{other}' in metadata key '{OnnxMetadataKeys.Pooling}'."),
        };
        var activation = RecurrentMetadata.Require(m, OnnxMetadataKeys.HeadActivation) switch
        {
            "linear" => HeadActivation.Linear,
            "sigmoid" => HeadActivation.Sigmoid,
            "softmax" => HeadActivation.Softmax,
            var other => throw new InvalidDataException($"Unknown head activation '{other}' in metadata key '{OnnxMetadataKeys.HeadActivation}'."),
        };
        string inputKind = RecurrentMetadata.Require(m, OnnxMetadataKeys.InputKind);
        bool tokens = inputKind switch
        {
            "tokens" or "token_strings" => true,
            "features" => false,
            var other => throw new InvalidDataException($"Unknown input kind '{other}' in metadata key '{OnnxMetadataKeys.InputKind}'."),
        };
        var description = new SequenceModelDescription(arch, RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.HeadOutputs))
        {
            Task = task,
            VocabularySize = tokens ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.VocabularySize) : 0,
            Pooling = pooling,
            Activation = activation,
            UsesLengths = RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.UsesLengths),
            FlattenedSteps = m.ContainsKey(OnnxMetadataKeys.FlattenedSteps) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.FlattenedSteps) : 0,
            FlattenedAnySteps = m.ContainsKey(OnnxMetadataKeys.FlattenedAnySteps) && RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.FlattenedAnySteps),
            LengthsColumnShape = m.ContainsKey(OnnxMetadataKeys.LengthsColumnShape) && RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.LengthsColumnShape),
            TokenStrings = inputKind == "token_strings" ? ReadTokenStrings(m) : null,
            UnknownTokenId = inputKind == "token_strings" ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.UnknownTokenId) : -1,
            MaxSteps = m.ContainsKey(OnnxMetadataKeys.MaxSteps) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.MaxSteps) : 0,
            BeginTokenId = m.ContainsKey(OnnxMetadataKeys.BeginTokenId) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.BeginTokenId) : -1,
            PredictedIndexOutput = m.TryGetValue(OnnxMetadataKeys.PredictedIndex, out var pi) && pi == "true",
            WideTokens = m.TryGetValue(OnnxMetadataKeys.WideTokens, out var wide) && wide == "true",
            Ngrams = m.ContainsKey(OnnxMetadataKeys.NgramWords) ? ReadNgrams(m) : null,
            CharacterFeatures = m.ContainsKey(OnnxMetadataKeys.CharacterCodePoints) ? ReadCharacterFeatures(m) : null,
            OutputLabels = m.ContainsKey(OnnxMetadataKeys.OutputLabels) ? ReadStrings(m, OnnxMetadataKeys.OutputLabels) : null,
            Members = m.ContainsKey(OnnxMetadataKeys.SequenceMembers) ? RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.SequenceMembers) : 1,
            ExposesState = RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.ExposesState),
            InputScaling = m.ContainsKey(OnnxMetadataKeys.InputScalingCenter)
                ? new AffineScaling(RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.InputScalingCenter), RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.InputScalingScale))
                : null,
            OutputScaling = m.ContainsKey(OnnxMetadataKeys.OutputScalingCenter)
                ? new AffineScaling(RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.OutputScalingCenter), RecurrentMetadata.ReadFloats(m, OnnxMetadataKeys.OutputScalingScale))
                : null,
        };
        try
        {
            description.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The model metadata describe an invalid model: {ex.Message}", ex);
        }
        return description;
    }

    private static IReadOnlyList<string> ReadTokenStrings(IReadOnlyDictionary<string, string> m) => ReadStrings(m, OnnxMetadataKeys.TokenStrings);

    private static NgramPart ReadNgrams(IReadOnlyDictionary<string, string> m)
    {
        string keys = RecurrentMetadata.Require(m, OnnxMetadataKeys.NgramBigramKeys);
        var parsed = new List<long>();
        foreach (string item in keys.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out long key))
                throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.NgramBigramKeys}' holds '{item}', which is not a pair key (a non-negative integer).");
            parsed.Add(key);
        }
        return new NgramPart(ReadStrings(m, OnnxMetadataKeys.NgramWords), parsed);
    }

    private static IReadOnlyList<string> ReadStrings(IReadOnlyDictionary<string, string> m, string key)
    {
        try
        {
            return Transforms.Text.Vocabulary.FromJson(RecurrentMetadata.Require(m, key)).Tokens;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"Metadata key '{key}' does not hold a valid token list: {ex.Message}", ex);
        }
    }

    private static CharacterConvolution ReadCharacterFeatures(IReadOnlyDictionary<string, string> m)
    {
        int[] codePoints;
        string text = RecurrentMetadata.Require(m, OnnxMetadataKeys.CharacterCodePoints);
        try
        {
            codePoints = System.Text.Json.JsonSerializer.Deserialize<int[]>(text) ?? throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.CharacterCodePoints}' is null.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"Metadata key '{OnnxMetadataKeys.CharacterCodePoints}' does not hold a JSON array of code points: {ex.Message}", ex);
        }
        return new CharacterConvolution(codePoints, RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.CharacterEmbeddingSize),
            RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.CharacterFilters), RecurrentMetadata.RequireInt(m, OnnxMetadataKeys.CharacterKernelWidth))
        {
            FlattenedInput = RecurrentMetadata.RequireBool(m, OnnxMetadataKeys.CharacterFlattenedInput),
        };
    }

    private static IEnumerable<NamedTensor> RecurrentWeights(Dictionary<string, (TensorProto Tensor, byte[] Bytes)> initializers, RecurrentArchitecture arch, string prefix)
    {
        int d = arch.NumDirections, g = arch.GateCount, h = arch.HiddenSize;
        for (int layer = 0; layer < arch.NumLayers; layer++)
        {
            int inSize = arch.LayerInputSize(layer);
            var w = Float(initializers, RecurrentStackEmitter.LayerWeightName(layer, "W", prefix), $"{prefix}layer {layer} W", d, g * h, inSize).Data;
            var r = Float(initializers, RecurrentStackEmitter.LayerWeightName(layer, "R", prefix), $"{prefix}layer {layer} R", d, g * h, h).Data;
            var b = Float(initializers, RecurrentStackEmitter.LayerWeightName(layer, "B", prefix), $"{prefix}layer {layer} B", d, 2 * g * h).Data;
            if (!arch.HasBias && b.Any(v => v != 0))
                throw new InvalidDataException($"Layer {layer}'s bias tensor is not zero but the metadata say the cells have no bias; the file was modified.");
            for (int dir = 0; dir < d; dir++)
            {
                bool reverse = dir == 1;
                yield return Unpermute(arch, prefix, "weight_ih", layer, reverse, w.AsSpan(dir * g * h * inSize, g * h * inSize), inSize);
                yield return Unpermute(arch, prefix, "weight_hh", layer, reverse, r.AsSpan(dir * g * h * h, g * h * h), h);
                if (arch.HasBias)
                {
                    yield return Unpermute(arch, prefix, "bias_ih", layer, reverse, b.AsSpan(dir * 2 * g * h, g * h), 1);
                    yield return Unpermute(arch, prefix, "bias_hh", layer, reverse, b.AsSpan(dir * 2 * g * h + g * h, g * h), 1);
                }
            }
        }
    }

    private static NamedTensor Unpermute(RecurrentArchitecture arch, string prefix, string kind, int layer, bool reverse, ReadOnlySpan<float> onnx, int columns)
    {
        var torch = new float[onnx.Length];
        GateOrder.OnnxToTorch(arch.Cell, onnx, torch, arch.HiddenSize, columns);
        long rows = arch.GateCount * arch.HiddenSize;
        long[] shape = columns == 1 && kind.StartsWith("bias", StringComparison.Ordinal) ? new[] { rows } : new[] { rows, columns };
        return new NamedTensor(prefix + RecurrentArchitecture.ParameterName(kind, layer, reverse), shape, torch);
    }

    private static NamedTensor Float(Dictionary<string, (TensorProto Tensor, byte[] Bytes)> initializers, string name, string torchName, params long[] shape)
    {
        if (!initializers.TryGetValue(name, out var entry))
            throw new InvalidDataException($"The ONNX model has no initializer '{name}' that its metadata imply; the file is incomplete or was modified.");
        var (tensor, bytes) = entry;
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"Initializer '{name}' has data type {tensor.DataType}, expected float (1).");
        if (!tensor.Dims.SequenceEqual(shape))
            throw new InvalidDataException($"Initializer '{name}' has shape [{string.Join(", ", tensor.Dims)}]; the metadata imply [{string.Join(", ", shape)}].");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (bytes.Length != count * sizeof(float))
            throw new InvalidDataException($"Initializer '{name}' holds {bytes.Length} bytes; shape [{string.Join(", ", shape)}] needs {count * sizeof(float)}. The file is truncated or corrupt.");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading ONNX tensors requires a little-endian machine.");
        return new NamedTensor(torchName, shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    // Each layer's W must feed the recurrent node of the metadata's cell, or, in an unrolled stack, the Gather of its directions.
    private static void CheckRecurrentNodes(GraphProto graph, RecurrentArchitecture arch, string prefix, bool unrolled)
    {
        if (unrolled)
        {
            for (int layer = 0; layer < arch.NumLayers; layer++)
            {
                string w = RecurrentStackEmitter.LayerWeightName(layer, "W", prefix);
                if (!graph.Node.Any(n => n.OpType == "Gather" && n.Input.Count > 0 && n.Input[0] == w))
                    throw new InvalidDataException($"The unrolled ONNX graph never reads layer {layer}'s weights; the file is incomplete or was modified.");
            }
            return;
        }
        string op = arch.Cell switch
        {
            RecurrentCellKind.Lstm => "LSTM",
            RecurrentCellKind.Gru => "GRU",
            _ => "RNN",
        };
        for (int layer = 0; layer < arch.NumLayers; layer++)
        {
            string w = RecurrentStackEmitter.LayerWeightName(layer, "W", prefix);
            var node = graph.Node.FirstOrDefault(n => n.Input.Count > 1 && n.Input[1] == w)
                ?? throw new InvalidDataException($"The ONNX graph has no recurrent node for layer {layer}; the file is incomplete or was modified.");
            if (node.OpType != op)
                throw new InvalidDataException($"Layer {layer} is a {node.OpType} node but the metadata say {arch.CellMetadataName}; the file was modified.");
        }
    }

    private static void VerifyDigest(GraphProto graph, Dictionary<string, (TensorProto Tensor, byte[] Bytes)> initializers, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(OnnxMetadataKeys.WeightsSha256, out var expected))
            throw new InvalidDataException($"The ONNX model lacks the weights checksum '{OnnxMetadataKeys.WeightsSha256}'; the file is truncated, its metadata were stripped, " +
                                           "or it was not exported by MlNetRnn. Export the model again.");
        string actual = WeightsDigest.Compute(graph.Initializer.Select(t => initializers[t.Name]));
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"The model's weights do not match their checksum (the SHA-256 digest in '{OnnxMetadataKeys.WeightsSha256}'): the file was altered " +
                                           "or corrupted after export. Restore it from a backup or export the model again.");
    }

    private static Dictionary<string, (TensorProto Tensor, byte[] Bytes)> ResolveInitializers(GraphProto graph, string? modelDirectory)
    {
        var result = new Dictionary<string, (TensorProto, byte[])>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            byte[] bytes = tensor.DataLocation == TensorProto.Types.DataLocation.External
                ? ExternalData.Read(tensor, modelDirectory)
                : tensor.RawData.ToByteArray();
            if (!result.TryAdd(tensor.Name, (tensor, bytes)))
                throw new InvalidDataException($"The ONNX graph defines initializer '{tensor.Name}' twice.");
        }
        return result;
    }
}
