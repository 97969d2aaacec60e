/** Persistence for gateway: downstream servers added at run time (config-file servers live in the config). */
export interface StoredServer {
  name: string;
  /** The validated server spec, as JSON. */
  spec: Record<string, unknown>;
  createdAt: string;
  createdBy: string | null;
}

export interface GatewayStore {
  listServers(): Promise<StoredServer[]>;
  /** Inserts; false when a server of that name is stored already. */
  addServer(server: StoredServer): Promise<boolean>;
  /** True when it existed. */
  removeServer(name: string): Promise<boolean>;
}
