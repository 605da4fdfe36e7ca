using System.Globalization;
using System.Text.Json;

namespace MlNetRnn.Onnx.Metadata;

/// <summary>Writes and reads the metadata entries every exported model shares: format, task, and the recurrent stack.</summary>
internal static class RecurrentMetadata
{
    public static Dictionary<string, string> Common(string task, RecurrentArchitecture architecture) => new(StringComparer.Ordinal)
    {
        [OnnxMetadataKeys.FormatVersion] = OnnxModelWriter.ModelVersion.ToString(CultureInfo.InvariantCulture),
        [OnnxMetadataKeys.Task] = task,
        [OnnxMetadataKeys.Cell] = architecture.CellMetadataName,
        [OnnxMetadataKeys.InputSize] = Int(architecture.InputSize),
        [OnnxMetadataKeys.HiddenSize] = Int(architecture.HiddenSize),
        [OnnxMetadataKeys.NumLayers] = Int(architecture.NumLayers),
        [OnnxMetadataKeys.Bidirectional] = Bool(architecture.Bidirectional),
        [OnnxMetadataKeys.Bias] = Bool(architecture.HasBias),
    };

    /// <summary>Adds caller entries, refusing to override a standard key.</summary>
    public static void AddExtra(Dictionary<string, string> metadata, IEnumerable<KeyValuePair<string, string>>? extra)
    {
        if (extra is null)
            return;
        foreach (var (key, value) in extra)
        {
            if (!metadata.TryAdd(key, value))
                throw new ArgumentException($"Metadata key '{key}' is reserved by the exporter.", nameof(extra));
        }
    }

    public static RecurrentArchitecture ReadArchitecture(IReadOnlyDictionary<string, string> m) => new(
        ParseCell(Require(m, OnnxMetadataKeys.Cell)),
        RequireInt(m, OnnxMetadataKeys.InputSize),
        RequireInt(m, OnnxMetadataKeys.HiddenSize),
        RequireInt(m, OnnxMetadataKeys.NumLayers),
        RequireBool(m, OnnxMetadataKeys.Bidirectional),
        RequireBool(m, OnnxMetadataKeys.Bias));

    public static RecurrentCellKind ParseCell(string name) => name switch
    {
        "LSTM" => RecurrentCellKind.Lstm,
        "GRU" => RecurrentCellKind.Gru,
        "RNN_TANH" => RecurrentCellKind.RnnTanh,
        "RNN_RELU" => RecurrentCellKind.RnnRelu,
        _ => throw new InvalidDataException($"Unknown cell '{name}' in the model metadata key '{OnnxMetadataKeys.Cell}' (expected LSTM, GRU, RNN_TANH or RNN_RELU)."),
    };

    public static string Require(IReadOnlyDictionary<string, string> m, string key) =>
        m.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"The ONNX model lacks the metadata key '{key}'.");

    public static int RequireInt(IReadOnlyDictionary<string, string> m, string key)
    {
        string text = Require(m, key);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new InvalidDataException($"Metadata key '{key}' holds '{text}', not an integer.");
    }

    public static bool RequireBool(IReadOnlyDictionary<string, string> m, string key) => Require(m, key) switch
    {
        "true" => true,
        "false" => false,
        var other => throw new InvalidDataException($"Metadata key '{key}' holds '{other}', not true/false."),
    };

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    // "R" keeps every float bit, so scaling read back from metadata equals the exported constants exactly.
    public static string Floats(float[] values) => "[" + string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    public static float[] ReadFloats(IReadOnlyDictionary<string, string> m, string key)
    {
        string text = Require(m, key);
        try
        {
            return JsonSerializer.Deserialize<float[]>(text) ?? throw new InvalidDataException($"Metadata key '{key}' is null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Metadata key '{key}' holds '{text}', not a JSON array of numbers.", ex);
        }
    }
}
