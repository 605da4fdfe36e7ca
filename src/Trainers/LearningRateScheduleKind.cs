namespace MlNetRnn.Trainers;

/// <summary>Which learning-rate schedule a trainer uses between epochs.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>The initial rate throughout.</summary>
    Constant = 0,

    /// <summary>The rate is multiplied by a factor after every <c>n</c> epochs.</summary>
    StepDecay = 1,

    /// <summary>Cosine annealing from the initial rate to a floor over the epoch budget.</summary>
    Cosine = 2,

    /// <summary>The rate is multiplied by a factor when the monitored loss has not improved for a number of epochs.</summary>
    ReduceOnPlateau = 3,
}
