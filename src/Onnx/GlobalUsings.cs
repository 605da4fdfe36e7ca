// Namespaces follow folders; every project sees the namespaces of its own folders and of the projects it references.
global using MlNetRnn.Transforms.Series;
global using MlNetRnn.Transforms.Text;
global using MlNetRnn.Transforms.Data;
global using MlNetRnn.Onnx;
global using MlNetRnn.Onnx.Model;
global using MlNetRnn.Onnx.Metadata;
global using MlNetRnn.Onnx.Export;
global using MlNetRnn.Onnx.Import;
global using MlNetRnn.Onnx.Runtime;
global using MlNetRnn.Onnx.Scoring;
global using MlNetRnn.Onnx.Generation;
