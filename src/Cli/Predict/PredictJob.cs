using Spectre.Console;

namespace MlNetRnn.Cli.Predict;

/// <summary>
/// <c>predict --model FILE --data FILE</c>: scores new data with any model this library saved, choosing what to do from the task
/// recorded in the model's metadata. Nothing is trained.
/// </summary>
internal static class PredictJob
{
    /// <summary>Runs the prediction for the model's task; returns the task.</summary>
    /// <exception cref="InvalidDataException">The model is not an MlNetRnn model, is damaged, or is of a task predict does not score.</exception>
    public static string Run(PredictSettings s, IAnsiConsole console)
    {
        ModelFiles.RequireFile(s.ModelPath, "Model file");
        string task = SavedModelTask.Read(s.ModelPath);
        switch (task)
        {
            case ForecastingOnnxExporter.TaskName:
                // The same path as forecast --model: the next horizon values from the series' last window.
                ForecastFromModelJob.Run(new Forecast.ForecastSettings { DataPath = s.DataPath, Column = s.Column ?? "value", OutputDirectory = s.OutputDirectory },
                    s.ModelPath, console);
                break;
            case TextClassifierTransformer.TaskName:
                ClassifierPrediction.Run(s, console);
                break;
            case SequenceModelTransformer.TaskName:
                SequencePrediction.Run(s, console);
                break;
            case SequenceTaggerTransformer.TaskName:
                TaggerPrediction.Run(s, console);
                break;
            case LanguageModelMetadata.TaskName:
                if (s.Column is not null)
                    throw new ArgumentException("--column does not apply to a language model: every non-blank line of --data is one text.");
                LanguageModelPrediction.Run(s, console);
                break;
            default:
                throw new InvalidDataException($"'{s.ModelPath}' is an MlNetRnn model of task '{task}', which predict does not score; it scores " +
                                               $"{string.Join(", ", SavedModelTask.Known)}.");
        }
        return task;
    }
}
