using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>
/// Every C# example in README.md compiles as written, as the Program.cs of a new console application (implicit usings on), against
/// this build's libraries, and runs from the repository root, as a reader would run it.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Notebooks")]
public sealed partial class ReadmeExamplesTests
{
    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    // The usings `dotnet new console` turns on (ImplicitUsings for Microsoft.NET.Sdk).
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    /// <summary>The README's C# examples with the line each starts on.</summary>
    internal static List<(int Line, string Code)> Examples()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        return CSharpBlock().Matches(readme)
            .Select(m => (readme[..m.Index].Count(c => c == '\n') + 2, m.Groups["code"].Value))
            .ToList();
    }

    [Fact]
    public void EveryExampleCompilesAndRunsAsWritten()
    {
        var examples = Examples();
        Assert.True(examples.Count >= 6, $"expected the README's examples, found {examples.Count}");
        var references = References();
        string previous = Environment.CurrentDirectory;
        var output = Console.Out;
        Environment.CurrentDirectory = RepositoryRoot.Path;
        try
        {
            string written = Path.Combine(RepositoryRoot.Path, "out", "readme");
            if (Directory.Exists(written))
                Directory.Delete(written, recursive: true);
            foreach (var (line, code) in examples)
            {
                // The text-generation example trains for up to 10 minutes as written; the test gives it a few seconds.
                string run = code.Replace("TimeSpan.FromMinutes(10)", "TimeSpan.FromSeconds(3)", StringComparison.Ordinal);
                // If that example's budget is ever written differently, say so here instead of running it for minutes.
                Assert.False(code.Contains(".LanguageModel(", StringComparison.Ordinal) && run == code,
                    $"README.md example at line {line} trains a language model without the 10-minute budget this test shortens");
                var assembly = Compile(run, line, references);
                var captured = new StringWriter();
                Console.SetOut(captured);
                try
                {
                    assembly.EntryPoint!.Invoke(null, new object[] { Array.Empty<string>() });
                }
                catch (TargetInvocationException ex)
                {
                    throw new Xunit.Sdk.XunitException($"README.md example at line {line} threw: {ex.InnerException}\n--- output ---\n{captured}");
                }
                finally
                {
                    Console.SetOut(output);
                }
                Assert.True(captured.ToString().Length > 0 || !code.Contains("Console.WriteLine", StringComparison.Ordinal), $"README.md example at line {line} printed nothing");
            }
            // What the examples write, and what the later ones read.
            foreach (var file in new[] { "passengers.onnx", "passengers.zip", "charlm.onnx", "classifier.zip", "classifier.onnx", "digits.zip", "digits.onnx", "tagger.zip", "tagger.onnx" })
                Assert.True(File.Exists(Path.Combine(written, file)), $"out/readme/{file} was not written");
        }
        finally
        {
            Console.SetOut(output);
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public void AnExampleThatUsesSomethingUndeclaredFailsToCompile()
    {
        // The check itself: a placeholder like the README once had does not slip through.
        var ex = Assert.Throws<Xunit.Sdk.XunitException>(() => Compile("float[] next = model.Forecast(passengers);", 1, References()));
        Assert.Contains("CS0103", ex.Message);
    }

    private static Assembly Compile(string code, int line, IReadOnlyList<MetadataReference> references)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create($"ReadmeExample{line}_{Guid.NewGuid():N}",
            new[] { CSharpSyntaxTree.ParseText(code, options, path: $"README.md:{line}"), CSharpSyntaxTree.ParseText(ImplicitUsings, options) },
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.WarningLevel <= 1)).ToList();
        if (!result.Success || problems.Count > 0)
            throw new Xunit.Sdk.XunitException($"README.md example at line {line} does not compile as written:\n{string.Join("\n", problems)}");
        return AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(pe.ToArray()));
    }

    // The framework plus every managed assembly an application referencing the three packages would have: the test's own folder.
    private static List<MetadataReference> References()
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator))
            byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        foreach (var path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("MlNetRnn.Tests", StringComparison.Ordinal) || name.StartsWith("xunit", StringComparison.OrdinalIgnoreCase))
                continue;
            byName.TryAdd(name, path);
        }
        var references = new List<MetadataReference>();
        foreach (var path in byName.Values)
        {
            try
            {
                using var stream = File.OpenRead(path);
                using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
                if (!pe.HasMetadata)
                    continue; // a native library with a .dll name
            }
            catch (BadImageFormatException)
            {
                continue;
            }
            references.Add(MetadataReference.CreateFromFile(path));
        }
        return references;
    }
}
