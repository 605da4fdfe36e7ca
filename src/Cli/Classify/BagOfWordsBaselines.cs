using Microsoft.ML;

namespace MlNetRnn.Cli.Classify;

/// <summary>
/// The two ML.NET bag-of-words classifiers every classify run is compared with, both on <c>FeaturizeText</c>'s default features
/// (word unigrams and character trigrams, L2-normalised): SDCA logistic regression / maximum entropy (the one-liner of ML.NET's
/// documentation), and the averaged perceptron (one-versus-all for multiclass).
/// </summary>
/// <remarks>
/// The second baseline was chosen on inner validation splits of the review sentences (never the test splits): averaged perceptron
/// 0.772 ± 0.024, L-BFGS logistic regression 0.707 (word 1-2 and character 1-4 grams did not help either learner: 0.758 and 0.687).
/// </remarks>
internal static class BagOfWordsBaselines
{
    /// <summary>Display name of the first baseline.</summary>
    public static string SdcaName(bool binary) => binary ? "FeaturizeText + SdcaLogisticRegression" : "FeaturizeText + SdcaMaximumEntropy";

    /// <summary>Display name of the second baseline.</summary>
    public static string PerceptronName(bool binary) => binary ? "FeaturizeText + AveragedPerceptron" : "FeaturizeText + OneVersusAll(AveragedPerceptron)";

    /// <summary>FeaturizeText with its defaults, then SDCA.</summary>
    public static IEstimator<ITransformer> Sdca(MLContext ml, string textColumn, bool binary)
    {
        var featurize = ml.Transforms.Text.FeaturizeText("Features", textColumn);
        return binary
            ? featurize.Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression())
            : featurize.Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
    }

    /// <summary>FeaturizeText with its defaults, then the averaged perceptron (scores are margins, not probabilities).</summary>
    public static IEstimator<ITransformer> Perceptron(MLContext ml, string textColumn, bool binary)
    {
        var featurize = ml.Transforms.Text.FeaturizeText("Features", textColumn);
        return binary
            ? featurize.Append(ml.BinaryClassification.Trainers.AveragedPerceptron())
            : featurize.Append(ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.AveragedPerceptron()));
    }
}
