using System.CommandLine;

namespace MlNetRnn.Cli.Shared;

/// <summary>Where a training command keeps its checkpoints and whether it continues from them.</summary>
/// <param name="Directory">The checkpoint folder, or null for none.</param>
/// <param name="Resume">Continue from the folder's newest valid checkpoint.</param>
internal sealed record CheckpointSettings(string? Directory, bool Resume)
{
    /// <summary>No checkpoints.</summary>
    public static CheckpointSettings None { get; } = new(null, false);

    /// <summary>A line for the console saying where checkpoints went and what a resumed run took from them; null without checkpoints.</summary>
    public string? Describe(int resumedEpochs) => Directory is null
        ? null
        : resumedEpochs > 0
            ? $"Resumed from checkpoints in {Directory}: {resumedEpochs} epoch(s) taken from them, the rest trained."
            : $"Checkpoints in {Directory}" + (Resume ? " (none to resume from: trained from the start)." : ".");
}

/// <summary>The <c>--checkpoint</c> and <c>--resume</c> options, defined once for every training command.</summary>
internal sealed class CheckpointOptions
{
    private readonly Option<DirectoryInfo?> _directory = new("--checkpoint")
    {
        Description = "Folder for training checkpoints (written atomically after every epoch and on Ctrl+C).",
    };

    private readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue from the newest valid checkpoint in --checkpoint; the result equals an uninterrupted run with the same options.",
    };

    /// <summary>Adds both options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_directory);
        command.Options.Add(_resume);
        command.Validators.Add(result =>
        {
            if (result.GetValue(_resume) && result.GetValue(_directory) is null)
                result.AddError("--resume needs --checkpoint DIR: the folder of the run to continue.");
        });
    }

    /// <summary>The parsed settings.</summary>
    public CheckpointSettings Read(ParseResult parseResult) => new(parseResult.GetValue(_directory)?.FullName, parseResult.GetValue(_resume));
}
