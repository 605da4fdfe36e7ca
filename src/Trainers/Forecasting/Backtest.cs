namespace MlNetRnn.Trainers.Forecasting;

/// <summary>One fold of a rolling-origin backtest.</summary>
/// <param name="Index">0-based fold, oldest origin first.</param>
/// <param name="TrainingLength">Values the fold trained on: the series up to (not including) its origin.</param>
/// <param name="Forecast">The horizon forecast from the origin.</param>
/// <param name="Actual">The values that followed the origin (never part of the fold's training data).</param>
/// <param name="Metrics">MAPE, sMAPE, RMSE, MAE of the fold.</param>
/// <param name="Mase">MASE of the fold, scaled by the seasonal-naive step on the fold's own training part.</param>
public sealed record BacktestFold(int Index, int TrainingLength, float[] Forecast, float[] Actual, ForecastMetrics Metrics, double Mase);

/// <summary>A rolling-origin evaluation: the folds and their means.</summary>
/// <param name="Folds">Every fold, oldest origin first.</param>
/// <param name="Season">The season the MASE scale used.</param>
public sealed record BacktestResult(IReadOnlyList<BacktestFold> Folds, int Season)
{
    /// <summary>Mean MASE over the folds.</summary>
    public double MeanMase => Folds.Average(f => f.Mase);

    /// <summary>Mean sMAPE (percent) over the folds.</summary>
    public double MeanSmape => Folds.Average(f => f.Metrics.Smape);

    /// <summary>Mean MAPE (percent) over the folds; NaN when a fold's actual values are all zero.</summary>
    public double MeanMape => Folds.Average(f => f.Metrics.Mape);

    /// <summary>Mean RMSE over the folds, in original units.</summary>
    public double MeanRmse => Folds.Average(f => f.Metrics.Rmse);
}
