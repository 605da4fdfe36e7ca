namespace MlNetRnn.Trainers.Forecasting;

/// <summary>What the forecaster minimises (in scaled space), and what early stopping watches on the validation windows.</summary>
public enum ForecastLoss
{
    /// <summary>Mean squared error: forecasts the conditional mean; large errors dominate.</summary>
    SquaredError,

    /// <summary>Mean absolute error: forecasts the conditional median; robust to outliers and aligned with MASE and sMAPE.</summary>
    AbsoluteError,
}
