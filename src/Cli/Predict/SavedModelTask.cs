namespace MlNetRnn.Cli.Predict;

/// <summary>Reads which task a saved model was trained for, from the <c>task</c> key of its ONNX metadata (inside the zip or the file itself).</summary>
internal static class SavedModelTask
{
    /// <summary>Tasks <c>predict</c> can score, in the order its help lists them.</summary>
    public static readonly string[] Known =
    {
        ForecastingOnnxExporter.TaskName, TextClassifierTransformer.TaskName, LanguageModelMetadata.TaskName, SequenceModelTransformer.TaskName,
        SequenceTaggerTransformer.TaskName,
    };

    /// <summary>Whether <paramref name="path"/> names an ONNX file (by extension) rather than an ML.NET model zip.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>The task recorded in the model at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is neither an ONNX model nor an ML.NET zip with one, or records no task.</exception>
    public static string Read(string path)
    {
        if (!IsOnnx(path))
            return ModelZip.ReadTask(path);
        OnnxModelInfo info;
        try
        {
            info = OnnxModelInfo.Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}' is not an ONNX model ({ex.Message}). Give the model.onnx or model.zip an mlnet-rnn command or the library wrote.", ex);
        }
        if (!info.Metadata.TryGetValue(OnnxMetadataKeys.Task, out var task))
            throw new InvalidDataException($"'{path}' is an ONNX model, but not one of MlNetRnn's (its metadata records no 'task'); predict scores models this library wrote.");
        return task;
    }
}
