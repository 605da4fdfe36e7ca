using System.Globalization;
using MlNetRnn.Transforms;

namespace MlNetRnn.Onnx.Metadata;

/// <summary>
/// Metadata keys a language model carries besides the sequence-model keys, so the <c>.onnx</c> file alone is enough to
/// generate: its vocabulary, what a token is, and the unknown id.
/// </summary>
internal static class LanguageModelMetadata
{
    /// <summary>Task name of language models.</summary>
    public const string TaskName = "charlm";
    /// <summary>The vocabulary: a JSON array of token strings, index = token id.</summary>
    public const string Vocabulary = "lm.vocabulary";
    /// <summary><c>character</c> or <c>word</c>.</summary>
    public const string Unit = "lm.unit";
    /// <summary>Id unseen tokens map to, or −1: unseen tokens in a prime are an error.</summary>
    public const string UnknownId = "lm.unknown_id";

    /// <summary>The entries for a vocabulary and unit.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Entries(Vocabulary vocabulary, TextUnit unit)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        yield return new(Vocabulary, vocabulary.ToJson());
        yield return new(Unit, unit == TextUnit.Word ? "word" : "character");
        yield return new(UnknownId, vocabulary.UnknownId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Reads the vocabulary and unit back from a model's metadata.</summary>
    /// <exception cref="InvalidDataException">The model is not a language model of this library or its vocabulary is malformed.</exception>
    public static (Vocabulary Vocabulary, TextUnit Unit) Read(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(OnnxMetadataKeys.Task, out var task) || task != TaskName)
            throw new InvalidDataException($"The ONNX model is not an MlNetRnn language model (task '{task ?? "missing"}', expected '{TaskName}').");
        var unit = RecurrentMetadata.Require(metadata, Unit) switch
        {
            "character" => TextUnit.Character,
            "word" => TextUnit.Word,
            var other => throw new InvalidDataException($"Unknown token unit '{other}' in metadata key '{Unit}'."),
        };
        int unknown = RecurrentMetadata.RequireInt(metadata, UnknownId);
        try
        {
            return (Transforms.Text.Vocabulary.FromJson(RecurrentMetadata.Require(metadata, Vocabulary), unknownId: unknown), unit);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"Metadata key '{Vocabulary}' does not hold a valid vocabulary: {ex.Message}", ex);
        }
    }
}
