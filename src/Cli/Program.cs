using System.CommandLine;

namespace MlNetRnn.Cli;

/// <summary>The <c>mlnet-rnn</c> command line.</summary>
public static class Program
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command; returns the process exit code.</summary>
    public static Task<int> Main(string[] args) => BuildRootCommand().Parse(args).InvokeAsync();

    /// <summary>The root command with every sub-command.</summary>
    public static RootCommand BuildRootCommand() =>
        new("mlnet-rnn: train LSTM, GRU and RNN models in ML.NET with TorchSharp, export them to ONNX, score with ONNX Runtime.")
        {
            ForecastCommand.Create(),
            ForecastBenchmark.ForecastBenchmarkCommand.Create(),
            Generate.GenerateCommand.Create(),
            Classify.ClassifyCommand.Create(),
            Sequence.SequenceCommand.Create(),
            Tag.TagCommand.Create(),
            Predict.PredictCommand.Create(),
            Bench.BenchCommand.Create(),
        };
}
