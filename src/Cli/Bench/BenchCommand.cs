using System.CommandLine;
using Spectre.Console;

namespace MlNetRnn.Cli.Bench;

/// <summary>Defines <c>mlnet-rnn bench</c>.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var windows = new Option<int>("--windows") { Description = "Windows scored in the throughput comparison.", DefaultValueFactory = _ => 100_000 }.InRange(100, 10_000_000);
        var memoryWindows = new Option<int>("--memory-windows") { Description = "Windows streamed for the large memory figure (peak_mb_1m).", DefaultValueFactory = _ => 1_000_000 }.InRange(10_000, 100_000_000);
        var epochs = new Option<int>("--epochs") { Description = "Epochs of each training run in the training comparison.", DefaultValueFactory = _ => 100 }.InRange(1, 100_000);
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per measurement (the median is reported).", DefaultValueFactory = _ => 5 }.InRange(1, 100);
        var charCharacters = new Option<int>("--char-characters") { Description = "Characters of tiny Shakespeare per pass in the language-model training comparison.", DefaultValueFactory = _ => 128_001 }.InRange(1_001, 1_000_000);
        var textRows = new Option<int>("--text-rows") { Description = "Synthetic 200-word texts per pass in the text-classifier training comparison.", DefaultValueFactory = _ => 512 }.InRange(64, 100_000);
        var lmRows = new Option<int>("--lm-rows") { Description = "Rows of 100 characters scored in the language-model scoring comparison.", DefaultValueFactory = _ => 256 }.InRange(1, 100_000);
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder for summary.json.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "bench")) };
        var command = new Command("bench", "Measure training and scoring speed and scoring memory against baselines run alongside, as ratios.")
        {
            windows, memoryWindows, epochs, repeats, charCharacters, textRows, lmRows, output,
        };
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(CommandRunner.Run(() =>
            BenchJob.Run(parseResult.GetValue(output)!.FullName, parseResult.GetValue(windows), parseResult.GetValue(memoryWindows),
                parseResult.GetValue(epochs), parseResult.GetValue(repeats), AnsiConsole.Console, parseResult.GetValue(charCharacters),
                parseResult.GetValue(textRows), parseResult.GetValue(lmRows)))));
        return command;
    }
}
