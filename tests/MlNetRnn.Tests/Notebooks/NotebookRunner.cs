using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>A notebook cell that failed to compile or threw.</summary>
public sealed class NotebookCellException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs a notebook's C# cells in order with Roslyn scripting (each cell continues the previous cell's state), the way
/// .NET Interactive would, with package references resolved to this repository's build.
/// </summary>
internal static partial class NotebookRunner
{
    [GeneratedRegex(@"^\s*#r\s+""nuget:\s*(?<id>[^,""]+?)\s*(,\s*(?<version>[^""]+?))?\s*""\s*$")]
    private static partial Regex NugetReference();

    [GeneratedRegex(@"^\s*#i\s+""nuget:[^""]+""\s*$")]
    private static partial Regex NugetSource();

    /// <summary>Runs every C# code cell; returns the globals (what was displayed).</summary>
    /// <exception cref="NotebookCellException">A cell has saved outputs, an unsupported directive, a compile error or an exception (cell number and text included).</exception>
    public static async Task<NotebookGlobals> RunAsync(string notebookPath, string repositoryRoot, string workingDirectory)
    {
        var cells = NotebookDocument.Read(notebookPath);
        var globals = new NotebookGlobals();
        var options = ScriptOptions.Default
            // Exactly the namespaces .NET Interactive's C# kernel imports, so a notebook that forgets a using fails here too.
            .WithImports("System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq")
            .WithReferences(typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(NotebookGlobals).Assembly)
            .WithFileEncoding(System.Text.Encoding.UTF8);
        ScriptState<object>? state = null;
        string previousDirectory = Environment.CurrentDirectory;
        // .NET Interactive runs a notebook in its own folder; relative paths in the cells mean the same here.
        Environment.CurrentDirectory = workingDirectory;
        try
        {
            foreach (var cell in cells)
            {
                if (cell.HasOutputs)
                    throw new NotebookCellException($"{Path.GetFileName(notebookPath)} cell {cell.Number} has saved outputs; clear outputs before committing.");
                if (cell.Kind != "code")
                    continue;
                if (cell.Language != "csharp")
                    throw new NotebookCellException($"{Path.GetFileName(notebookPath)} cell {cell.Number} uses kernel '{cell.Language}'; the harness runs C# cells only.");

                var (code, references) = Preprocess(cell, notebookPath, repositoryRoot);
                if (references.Count > 0)
                    options = options.AddReferences(references);
                if (code.Trim().Length == 0)
                    continue;
                try
                {
                    state = state is null
                        ? await CSharpScript.RunAsync(code, options, globals, typeof(NotebookGlobals))
                        : await state.ContinueWithAsync(code, options);
                }
                catch (CompilationErrorException ex)
                {
                    throw new NotebookCellException(Describe(notebookPath, cell, "does not compile", string.Join(Environment.NewLine, ex.Diagnostics)), ex);
                }
                catch (Exception ex) when (ex is not NotebookCellException)
                {
                    throw new NotebookCellException(Describe(notebookPath, cell, "threw", ex.ToString()), ex);
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
        }
        return globals;
    }

    private static (string Code, List<Assembly> References) Preprocess(NotebookCell cell, string notebookPath, string repositoryRoot)
    {
        var code = new List<string>();
        var references = new List<Assembly>();
        foreach (string line in cell.Source.Split('\n'))
        {
            var match = NugetReference().Match(line);
            if (match.Success)
            {
                string id = match.Groups["id"].Value;
                string? version = match.Groups["version"].Success ? match.Groups["version"].Value : null;
                try
                {
                    references.AddRange(NotebookPackages.Resolve(id, version, repositoryRoot));
                }
                catch (InvalidOperationException ex)
                {
                    throw new NotebookCellException(Describe(notebookPath, cell, "has a package reference the harness cannot resolve", ex.Message), ex);
                }
                code.Add(string.Empty); // keep line numbers of diagnostics aligned with the cell
            }
            else if (NugetSource().IsMatch(line) || line.TrimStart().StartsWith("#!csharp", StringComparison.Ordinal))
            {
                code.Add(string.Empty);
            }
            else if (line.TrimStart().StartsWith("#i", StringComparison.Ordinal) || line.TrimStart().StartsWith("#r", StringComparison.Ordinal))
            {
                throw new NotebookCellException(Describe(notebookPath, cell, "has a directive .NET Interactive would not accept", line.Trim()));
            }
            else if (line.TrimStart().StartsWith("#!", StringComparison.Ordinal))
            {
                throw new NotebookCellException(Describe(notebookPath, cell, "uses a magic command the harness does not support", line.Trim()));
            }
            else
            {
                code.Add(line);
            }
        }
        return (string.Join('\n', code), references);
    }

    private static string Describe(string notebookPath, NotebookCell cell, string what, string details) =>
        $"{Path.GetFileName(notebookPath)} cell {cell.Number} {what}:{Environment.NewLine}{details}{Environment.NewLine}--- cell {cell.Number} ---{Environment.NewLine}{cell.Source}";
}
