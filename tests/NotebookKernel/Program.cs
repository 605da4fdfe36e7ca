using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace MlNetRnn.NotebookKernel;

/// <summary>
/// Runs every C# cell of a notebook, top to bottom, in .NET Interactive's C# kernel with <c>#r "nuget: ..."</c> resolved by the kernel's
/// own NuGet restore, and writes a JSON transcript of what the cells displayed. Exit code 0: every cell ran; 1: a cell failed (the
/// transcript names it); 2: bad arguments.
/// </summary>
/// <remarks>
/// Usage: <c>MlNetRnn.NotebookKernel NOTEBOOK.ipynb TRANSCRIPT.json [--feed DIR] [--version V]</c>. <c>--feed</c> adds a restore
/// source to the first code cell (as a user's <c>#i "nuget: DIR"</c> line does); <c>--version</c> pins the notebook's
/// <c>MlNetRnn.*</c> package references to that version (a locally packed build). The notebook runs in its own folder.
/// </remarks>
public static partial class Program
{
    [GeneratedRegex(@"#r\s+""nuget:\s*(?<id>MlNetRnn\.[A-Za-z.]+)\s*(,\s*[^""]*)?""")]
    private static partial Regex MlNetRnnReference();

    /// <summary>Runs the notebook named on the command line.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 2 || args.Length % 2 != 0)
        {
            Console.Error.WriteLine("usage: MlNetRnn.NotebookKernel NOTEBOOK.ipynb TRANSCRIPT.json [--feed DIR] [--version V]");
            return 2;
        }
        string notebook = Path.GetFullPath(args[0]), transcriptPath = Path.GetFullPath(args[1]);
        string? feed = null, version = null;
        for (int i = 2; i < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--feed": feed = Path.GetFullPath(args[i + 1]); break;
                case "--version": version = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}'");
                    return 2;
            }
        }
        var transcript = new Transcript { Notebook = notebook };
        try
        {
            await RunAsync(notebook, feed, version, transcript);
        }
        catch (Exception ex)
        {
            transcript.Failure ??= new Failure(0, $"the kernel could not run the notebook: {ex}");
        }
        string temporary = transcriptPath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(transcript, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, transcriptPath, overwrite: true);
        if (transcript.Failure is { } failure)
            Console.Error.WriteLine($"{Path.GetFileName(notebook)} cell {failure.Cell}: {failure.Message}");
        return transcript.Failure is null ? 0 : 1;
    }

    private static async Task RunAsync(string notebook, string? feed, string? version, Transcript transcript)
    {
        var document = Notebook.Parse(await File.ReadAllTextAsync(notebook));
        // The kernel VS Code starts for a C# notebook: the C# kernel with its helpers (display, HTML) and #r "nuget:" / #i support.
        using var kernel = new CSharpKernel()
            .UseKernelHelpers()
            .UseNugetDirective((k, references) =>
            {
                k.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            });
        // Polyglot Notebooks runs a notebook with its folder as the current directory, so relative paths in cells mean the same here.
        Environment.CurrentDirectory = Path.GetDirectoryName(notebook)!;
        bool sourceAdded = false;
        for (int index = 0; index < document.Elements.Count; index++)
        {
            var cell = document.Elements[index];
            int number = index + 1;
            if (cell.Outputs.Count > 0)
            {
                transcript.Failure = new Failure(number, "the cell has saved outputs; clear outputs before committing the notebook.");
                return;
            }
            if (cell.KernelName is "markdown" or "md")
                continue;
            if (cell.KernelName is not ("csharp" or "C#"))
            {
                transcript.Failure = new Failure(number, $"the cell uses kernel '{cell.KernelName}'; only C# cells are run.");
                return;
            }
            string code = cell.Contents;
            if (version is not null)
                code = MlNetRnnReference().Replace(code, m => $"#r \"nuget: {m.Groups["id"].Value}, {version}\"");
            if (feed is not null && !sourceAdded && code.Trim().Length > 0)
            {
                code = $"#i \"nuget: {feed}\"\n" + code;
                sourceAdded = true;
            }
            transcript.CellsRun++;
            var result = await kernel.SendAsync(new SubmitCode(code));
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case CommandFailed failed:
                        transcript.Failure ??= new Failure(number, $"{failed.Message}\n--- cell text ---\n{cell.Contents}");
                        break;
                    case ErrorProduced error:
                        transcript.Failure ??= new Failure(number, $"{error.Message}\n--- cell text ---\n{cell.Contents}");
                        break;
                    case StandardOutputValueProduced output:
                        Console.Write(string.Concat(output.FormattedValues.Select(v => v.Value)));
                        break;
                    case DisplayedValueProduced or ReturnValueProduced when e is DisplayEvent display && display.Value is not InstallPackagesMessage:
                        transcript.Displayed.Add(new Displayed(number, display.FormattedValues.ToDictionary(v => v.MimeType, v => v.Value)));
                        break;
                }
            }
            if (transcript.Failure is not null)
                return;
        }
    }
}

/// <summary>What a notebook run did: the cells it ran, what they displayed, and the first failure.</summary>
public sealed class Transcript
{
    /// <summary>The notebook's full path.</summary>
    public string Notebook { get; set; } = "";

    /// <summary>Code cells submitted to the kernel.</summary>
    public int CellsRun { get; set; }

    /// <summary>Every displayed or returned value, in order.</summary>
    public List<Displayed> Displayed { get; set; } = new();

    /// <summary>The first failure, or null when every cell ran.</summary>
    public Failure? Failure { get; set; }
}

/// <summary>One displayed value: the cell (1-based among all cells) and its formatted values by MIME type.</summary>
/// <param name="Cell">Cell number.</param>
/// <param name="Values">Formatted values, for example <c>text/plain</c> and <c>text/html</c>.</param>
public sealed record Displayed(int Cell, Dictionary<string, string> Values);

/// <summary>Why a notebook stopped.</summary>
/// <param name="Cell">Cell number (0 when the kernel itself failed).</param>
/// <param name="Message">The kernel's message and the cell's text.</param>
public sealed record Failure(int Cell, string Message);
