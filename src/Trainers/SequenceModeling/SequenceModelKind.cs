namespace MlNetRnn.Trainers.SequenceModeling;

/// <summary>What a float-sequence model predicts, chosen by the label column's type.</summary>
public enum SequenceModelKind
{
    /// <summary>A Boolean label: sigmoid head; columns <c>Score</c> (logit), <c>Probability</c>, <c>PredictedLabel</c>.</summary>
    BinaryClassification = 0,

    /// <summary>A key label: softmax head; columns <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (a key).</summary>
    MulticlassClassification = 1,

    /// <summary>A Single label: linear head; column <c>Score</c>.</summary>
    Regression = 2,
}
