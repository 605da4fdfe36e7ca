using System.Reflection;
using System.Xml.Linq;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MlNetRnn.Transforms;

namespace MlNetRnn.Tests.Notebooks;

/// <summary>
/// Maps the <c>#r "nuget: Id, Version"</c> lines of a notebook to assemblies of this repository's build (the locally built
/// MlNetRnn projects and the package versions pinned in Directory.Packages.props), so notebooks run against the code under test.
/// </summary>
internal static class NotebookPackages
{
    private static readonly Dictionary<string, Assembly[]> s_assemblies = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MlNetRnn.Trainers"] = new[] { typeof(ForecasterTrainer).Assembly, typeof(ForecastingOnnxExporter).Assembly, typeof(SeriesScaler).Assembly },
        ["MlNetRnn.Onnx"] = new[] { typeof(ForecastingOnnxExporter).Assembly, typeof(SeriesScaler).Assembly },
        ["MlNetRnn.Transforms"] = new[] { typeof(SeriesScaler).Assembly },
        ["Microsoft.ML"] = new[] { typeof(MLContext).Assembly, typeof(IDataView).Assembly, typeof(Microsoft.ML.Data.VBuffer<>).Assembly, typeof(Microsoft.ML.Runtime.IHostEnvironment).Assembly },
        ["Microsoft.ML.OnnxTransformer"] = new[] { typeof(Microsoft.ML.Transforms.Onnx.OnnxTransformer).Assembly },
        ["Microsoft.ML.OnnxRuntime"] = new[] { typeof(InferenceSession).Assembly },
        ["Microsoft.ML.OnnxRuntime.Managed"] = new[] { typeof(InferenceSession).Assembly },
        ["TorchSharp-cpu"] = new[] { typeof(TorchSharp.torch).Assembly },
        ["TorchSharp"] = new[] { typeof(TorchSharp.torch).Assembly },
        ["ScottPlot"] = new[] { typeof(ScottPlot.Plot).Assembly },
    };

    /// <summary>Assemblies for a package, checking that the notebook asks for the version this repository builds with.</summary>
    /// <exception cref="InvalidOperationException">The package is unknown to the harness, or the version differs from the repository's.</exception>
    public static IReadOnlyList<Assembly> Resolve(string packageId, string? version, string repositoryRoot)
    {
        if (!s_assemblies.TryGetValue(packageId, out var assemblies))
            throw new InvalidOperationException($"The notebook references package '{packageId}', which the notebook harness does not map; add it to NotebookPackages.");
        string? expected = ExpectedVersion(packageId, repositoryRoot);
        if (version is not null && expected is not null && version != expected)
            throw new InvalidOperationException($"The notebook asks for {packageId} {version}, but this repository builds with {expected}; update the #r line.");
        return assemblies;
    }

    private static string? ExpectedVersion(string packageId, string repositoryRoot)
    {
        if (packageId.StartsWith("MlNetRnn.", StringComparison.OrdinalIgnoreCase))
            return XDocument.Load(Path.Combine(repositoryRoot, "Directory.Build.props")).Descendants("Version").FirstOrDefault()?.Value;
        return XDocument.Load(Path.Combine(repositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .FirstOrDefault(e => string.Equals((string?)e.Attribute("Include"), packageId, StringComparison.OrdinalIgnoreCase))?.Attribute("Version")?.Value;
    }
}
