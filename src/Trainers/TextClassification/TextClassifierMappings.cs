using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MlNetRnn.Trainers.TextClassification;

/// <summary>
/// The two stateless steps of a saved text classifier that ML.NET's stock transforms cannot do: ML.NET's OnnxTransformer returns
/// every output, even a per-row scalar, as a one-element vector, and its evaluators want scalars. They are CustomMapping
/// factories, so a saved model loads after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(TextClassifierMappings).Assembly)</c>
/// (<c>mlContext.Rnn().LoadTextClassifier</c> does that).
/// </summary>
public static class TextClassifierMappings
{
    /// <summary>Contract name of the binary scores mapping.</summary>
    public const string BinaryContract = "MlNetRnn.BinaryClassifierScores.v1";

    /// <summary>Contract name of the multiclass predicted-index mapping.</summary>
    public const string IndexContract = "MlNetRnn.PredictedIndex.v1";

    /// <summary>Input of the binary mapping: the ONNX model's outputs for one row.</summary>
    public sealed class BinaryInput
    {
        /// <summary>The logit.</summary>
        [VectorType(1), ColumnName("logits")]
        public float[] Logits { get; set; } = Array.Empty<float>();

        /// <summary>Its sigmoid.</summary>
        [VectorType(1), ColumnName("probabilities")]
        public float[] Probabilities { get; set; } = Array.Empty<float>();
    }

    /// <summary>Output of the binary mapping, in ML.NET's binary-classification conventions.</summary>
    public sealed class BinaryOutput
    {
        /// <summary>The logit (margin).</summary>
        public float Score { get; set; }

        /// <summary>Probability of the positive class.</summary>
        public float Probability { get; set; }

        /// <summary>Probability &gt; 0.5.</summary>
        public bool PredictedLabel { get; set; }
    }

    /// <summary>Input of the multiclass mapping.</summary>
    public sealed class IndexInput
    {
        /// <summary>The arg-max class (0-based).</summary>
        [VectorType(1), ColumnName("predicted_index")]
        public long[] PredictedIndex { get; set; } = Array.Empty<long>();
    }

    /// <summary>Output of the multiclass mapping.</summary>
    public sealed class IndexOutput
    {
        /// <summary>The arg-max class (0-based), as a scalar.</summary>
        [ColumnName("MlNetRnn.PredictedIndex")]
        public long PredictedIndex { get; set; }
    }

    /// <summary>Factory of the binary mapping (found by its contract name when a model loads).</summary>
    [CustomMappingFactoryAttribute(BinaryContract)]
    public sealed class BinaryFactory : CustomMappingFactory<BinaryInput, BinaryOutput>
    {
        /// <inheritdoc />
        public override Action<BinaryInput, BinaryOutput> GetMapping() => Map;

        internal static void Map(BinaryInput input, BinaryOutput output)
        {
            output.Score = input.Logits[0];
            output.Probability = input.Probabilities[0];
            output.PredictedLabel = output.Probability > 0.5f;
        }
    }

    /// <summary>Factory of the multiclass mapping.</summary>
    [CustomMappingFactoryAttribute(IndexContract)]
    public sealed class IndexFactory : CustomMappingFactory<IndexInput, IndexOutput>
    {
        /// <inheritdoc />
        public override Action<IndexInput, IndexOutput> GetMapping() => Map;

        internal static void Map(IndexInput input, IndexOutput output) => output.PredictedIndex = input.PredictedIndex[0];
    }
}
