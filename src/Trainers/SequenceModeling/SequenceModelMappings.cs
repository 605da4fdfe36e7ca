using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>
/// The stateless steps of a saved float-sequence model that ML.NET's stock transforms cannot do: they turn the one ONNX output the
/// chain reads (ML.NET's OnnxTransformer returns even a per-row scalar as a one-element vector) into ML.NET's scalar
/// <c>Score</c> / <c>Probability</c> / <c>PredictedLabel</c> columns, and find a multiclass model's arg-max. They are CustomMapping
/// factories, so a saved model loads after <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(SequenceModelMappings).Assembly)</c>
/// (<c>mlContext.Rnn().LoadSequenceModel</c> does that).
/// </summary>
public static class SequenceModelMappings
{
    /// <summary>Contract name of the binary mapping (logit → score, probability, predicted label).</summary>
    public const string BinaryContract = "MlNetRnn.SequenceBinaryScores.v1";

    /// <summary>Contract name of the multiclass arg-max mapping.</summary>
    public const string ArgMaxContract = "MlNetRnn.SequenceArgMax.v1";

    /// <summary>Contract name of the regression mapping.</summary>
    public const string RegressionContract = "MlNetRnn.SequenceRegressionScore.v1";

    /// <summary>Input of the binary mapping: the graph's logit for one row.</summary>
    public sealed class LogitInput
    {
        /// <summary>The logit.</summary>
        [VectorType(1), ColumnName("logits")]
        public float[] Logits { get; set; } = Array.Empty<float>();
    }

    /// <summary>Output of the binary mapping, in ML.NET's binary-classification conventions.</summary>
    public sealed class BinaryOutput
    {
        /// <summary>The logit (margin).</summary>
        public float Score { get; set; }

        /// <summary>Probability of the positive class: the logistic sigmoid of the logit.</summary>
        public float Probability { get; set; }

        /// <summary>Logit &gt; 0 (probability &gt; 0.5).</summary>
        public bool PredictedLabel { get; set; }
    }

    /// <summary>Input of the arg-max mapping: the class probabilities of one row.</summary>
    public sealed class ProbabilitiesInput
    {
        /// <summary>One probability per class.</summary>
        [VectorType, ColumnName("probabilities")]
        public float[] Probabilities { get; set; } = Array.Empty<float>();
    }

    /// <summary>Output of the arg-max mapping.</summary>
    public sealed class ArgMaxOutput
    {
        /// <summary>The 0-based class with the highest probability (the first on a tie, as ONNX's ArgMax).</summary>
        [ColumnName("MlNetRnn.PredictedIndex")]
        public long PredictedIndex { get; set; }
    }

    /// <summary>Input of the regression mapping: the graph's value for one row.</summary>
    public sealed class OutputInput
    {
        /// <summary>The predicted value (already mapped back to the label's scale by the graph).</summary>
        [VectorType(1), ColumnName("output")]
        public float[] Output { get; set; } = Array.Empty<float>();
    }

    /// <summary>Output of the regression mapping.</summary>
    public sealed class RegressionOutput
    {
        /// <summary>The predicted value.</summary>
        public float Score { get; set; }
    }

    /// <summary>Factory of the binary mapping (found by its contract name when a model loads).</summary>
    [CustomMappingFactoryAttribute(BinaryContract)]
    public sealed class BinaryFactory : CustomMappingFactory<LogitInput, BinaryOutput>
    {
        /// <inheritdoc />
        public override Action<LogitInput, BinaryOutput> GetMapping() => Map;

        internal static void Map(LogitInput input, BinaryOutput output)
        {
            float logit = input.Logits[0];
            output.Score = logit;
            output.Probability = 1f / (1f + MathF.Exp(-logit));
            output.PredictedLabel = logit > 0;
        }
    }

    /// <summary>Factory of the arg-max mapping.</summary>
    [CustomMappingFactoryAttribute(ArgMaxContract)]
    public sealed class ArgMaxFactory : CustomMappingFactory<ProbabilitiesInput, ArgMaxOutput>
    {
        /// <inheritdoc />
        public override Action<ProbabilitiesInput, ArgMaxOutput> GetMapping() => Map;

        internal static void Map(ProbabilitiesInput input, ArgMaxOutput output)
        {
            var p = input.Probabilities;
            int best = 0;
            for (int i = 1; i < p.Length; i++)
            {
                if (p[i] > p[best])
                    best = i;
            }
            output.PredictedIndex = best;
        }
    }

    /// <summary>Factory of the regression mapping.</summary>
    [CustomMappingFactoryAttribute(RegressionContract)]
    public sealed class RegressionFactory : CustomMappingFactory<OutputInput, RegressionOutput>
    {
        /// <inheritdoc />
        public override Action<OutputInput, RegressionOutput> GetMapping() => Map;

        internal static void Map(OutputInput input, RegressionOutput output) => output.Score = input.Output[0];
    }
}
