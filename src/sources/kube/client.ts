// The one door to @kubernetes/client-node: what the kube source uses, in one place (watches go through its
// authentication and HTTP dispatcher, see watch-stream.ts). (package.json pins undici 7
// through `overrides`, because client-node 2.0.1 pulls undici 8, which needs Node >= 22.19.)

export {
  ApiException,
  ApisApi,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  HttpMethod,
  KubeConfig,
  RequestContext,
} from '@kubernetes/client-node';
