using System.CommandLine;

namespace MlNetRnn.Cli.Forecast;

/// <summary>
/// The options that configure the forecaster itself (cell, sizes, window, epochs, log transform, refit, device), defined once for
/// <c>forecast</c> and <c>forecast-benchmark</c> so both train exactly the same model for the same flags.
/// </summary>
internal sealed class ForecasterModelOptions
{
    private readonly Option<string> _cell;
    private readonly Option<int> _hidden;
    private readonly Option<int> _layers;
    private readonly Option<bool> _bidirectional = new("--bidirectional") { Description = "Read each window in both directions." };
    private readonly Option<int?> _window;
    private readonly Option<int?> _linearWindow;
    private readonly Option<int> _members;
    private readonly Option<string> _reference;
    private readonly Option<double> _interval;
    private readonly Option<string> _loss;
    private readonly Option<int> _epochs;
    private readonly Option<bool> _noLog = new("--no-log") { Description = "Do not log-transform the series (the log transform is used only when every value is > 0)." };
    private readonly Option<bool> _noRefit = new("--no-refit") { Description = "Keep the early-stopped weights instead of refitting on every window for the chosen epoch count." };
    private readonly Option<bool> _shrink = new("--shrink") { Description = "Choose on the validation windows how much of the networks' correction to add to the reference (1, 0.5 or 0)." };
    private readonly Option<double> _linearShare;
    private readonly Option<string> _device;

    public ForecasterModelOptions(ForecastSettings defaults)
    {
        _cell = new Option<string>("--cell") { Description = "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.", DefaultValueFactory = _ => "lstm" };
        _cell.AcceptOnlyFromAmong("lstm", "gru", "rnn-tanh", "rnn-relu");
        _hidden = new Option<int>("--hidden") { Description = "Hidden units per layer (1-4096).", DefaultValueFactory = _ => defaults.Hidden }.InRange(1, 4096);
        _layers = new Option<int>("--layers") { Description = "Stacked recurrent layers (1-16).", DefaultValueFactory = _ => defaults.Layers }.InRange(1, 16);
        _window = new Option<int?>("--window") { Description = "Past values the networks read per forecast (1-10000; default: two seasons, at least 12)." };
        _window.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is { } w && (w < 1 || w > 10000))
                r.AddError($"--window must be between 1 and 10000; got {w}.");
        });
        _linearWindow = new Option<int?>("--linear-window")
        {
            Description = "Past values the linear part reads, the model's input; the networks read the last --window of them (at least --window, at most 10000; " +
                          "default: twice the window, leaving at least a third of the training values to form windows).",
        };
        _linearWindow.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is { } w && (w < 1 || w > 10000))
                r.AddError($"--linear-window must be between 1 and 10000; got {w}.");
        });
        _members = new Option<int>("--members") { Description = "Networks (seeds seed, seed+1, ...) averaged inside the one exported ONNX graph (1-100).", DefaultValueFactory = _ => defaults.Members }.InRange(1, 100);
        _reference = new Option<string>("--reference")
        {
            Description = "What the networks forecast relative to: mixed (half correct the seasonal-naive forecast, half forecast the level), " +
                          "seasonal-naive, or level.",
            DefaultValueFactory = _ => ReferenceName(defaults.Reference),
        };
        _reference.AcceptOnlyFromAmong("mixed", "seasonal-naive", "level");
        _loss = new Option<string>("--loss") { Description = "Training loss: mae (absolute error, the median; robust) or mse (squared error, the mean).", DefaultValueFactory = _ => defaults.Loss == ForecastLoss.AbsoluteError ? "mae" : "mse" };
        _loss.AcceptOnlyFromAmong("mae", "mse");
        _interval = new Option<double>("--interval")
        {
            Description = "Nominal coverage of the prediction interval (e.g. 0.8 for 10%-90%), or 0 for none.", DefaultValueFactory = _ => defaults.Interval,
        };
        _interval.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v == 0 || (v > 0 && v < 1)))
                r.AddError($"--interval must be 0 (none) or between 0 and 1 (exclusive); got {v}.");
        });
        _epochs = new Option<int>("--epochs") { Description = "Maximum training epochs (early stopping may end sooner).", DefaultValueFactory = _ => defaults.Epochs }.InRange(1, 100000);
        _linearShare = new Option<double>("--linear-share")
        {
            Description = "Share of the linear part (Holt-Winters smoothing over --linear-window values, inside the same graph) in the forecast, 0 to below 1; 0 for networks only.",
            DefaultValueFactory = _ => defaults.LinearShare,
        };
        _linearShare.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v >= 0 && v < 1))
                r.AddError($"--linear-share must be at least 0 and below 1; got {v}.");
        });
        _device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto (training and ONNX Runtime inference).", DefaultValueFactory = _ => "cpu" }.IsDevice();
    }

    /// <summary>The <c>--reference</c> spelling of <paramref name="reference"/>.</summary>
    public static string ReferenceName(ForecastReference reference) => reference switch
    {
        ForecastReference.SeasonalNaive => "seasonal-naive",
        ForecastReference.WindowLevel => "level",
        _ => "mixed",
    };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _cell, _hidden, _layers, _bidirectional, _window, _linearWindow, _members, _reference, _interval, _loss, _epochs, _noLog, _noRefit, _shrink, _linearShare, _device })
            command.Options.Add(option);
    }

    /// <summary><paramref name="settings"/> with the parsed forecaster options.</summary>
    public ForecastSettings Apply(ForecastSettings settings, ParseResult parseResult) => settings with
    {
        Cell = ForecastCommand.ParseCell(parseResult.GetValue(_cell)!),
        Hidden = parseResult.GetValue(_hidden),
        Layers = parseResult.GetValue(_layers),
        Bidirectional = parseResult.GetValue(_bidirectional),
        RequestedWindow = parseResult.GetValue(_window),
        RequestedLinearWindow = parseResult.GetValue(_linearWindow),
        Members = parseResult.GetValue(_members),
        Reference = parseResult.GetValue(_reference) switch
        {
            "seasonal-naive" => ForecastReference.SeasonalNaive,
            "level" => ForecastReference.WindowLevel,
            _ => ForecastReference.Mixed,
        },
        Interval = parseResult.GetValue(_interval),
        Loss = parseResult.GetValue(_loss) == "mae" ? ForecastLoss.AbsoluteError : ForecastLoss.SquaredError,
        Epochs = parseResult.GetValue(_epochs),
        LogTransform = !parseResult.GetValue(_noLog),
        Refit = !parseResult.GetValue(_noRefit),
        Shrink = parseResult.GetValue(_shrink),
        LinearShare = parseResult.GetValue(_linearShare),
        Device = ExecutionDevice.Parse(parseResult.GetValue(_device)!),
    };
}
