// Namespaces follow folders; every project sees the namespaces of its own folders and of the projects it references.
global using MlNetRnn.Transforms.Series;
global using MlNetRnn.Transforms.Text;
global using MlNetRnn.Transforms.Data;
