namespace MlNetRnn.Transforms.Series;

/// <summary>How a series is rescaled before a network sees it.</summary>
public enum SeriesScalingKind
{
    /// <summary>Values are used as they are.</summary>
    None = 0,

    /// <summary>Maps the training range to [0, 1]: <c>(x - min) / (max - min)</c>.</summary>
    MinMax = 1,

    /// <summary>Zero mean, unit variance over the training data: <c>(x - mean) / std</c>.</summary>
    Standard = 2,
}
