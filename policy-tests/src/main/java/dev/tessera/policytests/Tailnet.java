package dev.tessera.policytests;

import dev.tessera.compiler.inventory.Inventory;
import dev.tessera.compiler.inventory.InventoryNode;
import dev.tessera.enforcer.Matcher;
import dev.tessera.net.IpAddress;
import dev.tessera.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The compiled tailnet as the test runner sees it: the devices (who owns them, their tags,
 * addresses and approved routes) and, for each, the enforcer {@link Matcher} over the filter the
 * compiler produced for it.
 *
 * <p>Design note: this is a narrow view, built from the compiler's inventory and output by {@link
 * PolicyTester}, so the assertion logic ({@link Evaluator}) depends on nothing but the enforcer's
 * Matcher and can be tested on hand-made filters. Matchers are built lazily and cached: a run
 * touching a handful of destinations on a 10k-node tailnet builds a handful of tables.
 *
 * <p>Each device has a slot (its index in {@link #devices()}); the Matcher cache is an array of
 * slots, so the hot loop of a run (millions of lookups on a large tailnet) reads an array element
 * instead of hashing a name. A slot's Matcher is built by the first thread that asks, under the
 * slot's lock, so the factory runs at most once per device and other slots build concurrently.
 */
final class Tailnet {

  /**
   * Names of stand-in devices start with this: a device added so that an address no node owns or
   * routes can be asked about (see {@link PolicyTester}). No inventory name can start with it (it
   * has a space).
   */
  static final String STAND_IN_PREFIX = "stand-in ";

  private final List<InventoryNode> devices;
  private final Map<String, String> roles = new HashMap<>();
  private final Map<String, List<IpAddress>> services;
  private final Map<String, InventoryNode> byName = new HashMap<>();
  private final Map<IpAddress, List<InventoryNode>> byAddress = new HashMap<>();
  private final List<InventoryNode> routers = new ArrayList<>();
  private final Function<String, Matcher> matcherFactory;
  private final Map<String, Integer> slotByName = new HashMap<>();
  private final Slot[] slots;
  // Names that are not devices of this tailnet (callers holding a device from elsewhere).
  private final Map<String, Matcher> strangers = new ConcurrentHashMap<>();

  /** A device's lazily built Matcher. */
  private static final class Slot {
    final String name;
    volatile Matcher matcher;

    Slot(String name) {
      this.name = name;
    }
  }

  /**
   * @param inventory the devices ({@link Inventory#nodes()}), their owners' roles and the addresses
   *     of each Tailscale Service
   * @param matcherFactory gives the Matcher for a device name (called at most once per device)
   */
  public Tailnet(Inventory inventory, Function<String, Matcher> matcherFactory) {
    Map<String, List<IpAddress>> services = new HashMap<>();
    inventory.services().forEach(s -> services.put(s.name(), s.ips()));
    this.services = Map.copyOf(services);
    inventory.users().forEach(u -> roles.put(u.login(), u.role().text()));
    this.devices = inventory.nodes();
    this.matcherFactory = matcherFactory;
    this.slots = new Slot[this.devices.size()];
    for (int i = 0; i < slots.length; i++) {
      InventoryNode d = this.devices.get(i);
      // Matchers are per name (the factory's key): a repeated name shares the first one's slot.
      Integer first = slotByName.putIfAbsent(d.name(), i);
      slots[i] = first == null ? new Slot(d.name()) : slots[first];
      byName.put(d.name(), d);
      for (IpAddress a : d.ips()) {
        byAddress.computeIfAbsent(a, k -> new ArrayList<>()).add(d);
      }
      if (!d.subnetRoutes().isEmpty()) {
        routers.add(d);
      }
    }
  }

  public List<InventoryNode> devices() {
    return devices;
  }

  public Optional<InventoryNode> device(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * Whether {@code d} is a stand-in: it has no identity, so no selector but its own address matches
   * it, and reports do not name it.
   */
  public static boolean standIn(InventoryNode d) {
    return d.name().startsWith(STAND_IN_PREFIX);
  }

  /**
   * The role ({@code member}, {@code admin}, ...) of the user whose identity {@code d} carries;
   * empty for a tagged device, a device without a user, or a user the inventory does not list.
   */
  public Optional<String> role(InventoryNode d) {
    return d.owner().map(roles::get);
  }

  /** The addresses of service {@code svc:NAME}; empty when the tailnet has no such service. */
  public List<IpAddress> serviceAddresses(String name) {
    return services.getOrDefault(name, List.of());
  }

  /** Devices whose own addresses include {@code a}. */
  public List<InventoryNode> owners(IpAddress a) {
    return byAddress.getOrDefault(a, List.of());
  }

  /**
   * Exit nodes that carry {@code a} to the internet: devices with the default route of its family
   * (0.0.0.0/0 or ::/0), for an address outside the tailnet ranges. Each enforces the
   * autogroup:internet rules for the traffic it forwards (docs/semantics.md §3.6).
   */
  public List<InventoryNode> exits(IpAddress a) {
    if (dev.tessera.compiler.matrix.SyntheticInventory.inTailnet(a)) {
      return List.of();
    }
    List<InventoryNode> out = new ArrayList<>();
    for (InventoryNode d : devices) {
      if (d.routes().stream().anyMatch(r -> r.bits() == 0 && r.ipv6() == a.ipv6())) {
        out.add(d);
      }
    }
    return out;
  }

  /** Subnet routers whose approved (non-default) routes contain {@code a}. */
  public List<InventoryNode> routers(IpAddress a) {
    List<InventoryNode> out = new ArrayList<>();
    for (InventoryNode d : routers) {
      for (IpPrefix r : d.subnetRoutes()) {
        if (r.contains(a)) {
          out.add(d);
          break;
        }
      }
    }
    return out;
  }

  /**
   * The slot of {@code device} (its index in {@link #devices()}), or -1 if it is not one of them.
   */
  public int slot(InventoryNode device) {
    Integer i = slotByName.get(device.name());
    return i == null ? -1 : i;
  }

  /** The enforcer's matcher over the filter compiled for {@code device}. */
  public Matcher matcher(InventoryNode device) {
    int i = slot(device);
    return i >= 0 ? matcher(i) : strangers.computeIfAbsent(device.name(), matcherFactory);
  }

  /** The enforcer's matcher for the device in {@code slot} (see {@link #slot}). */
  public Matcher matcher(int slot) {
    Matcher m = slots[slot].matcher;
    return m != null ? m : build(slots[slot]);
  }

  private Matcher build(Slot s) {
    synchronized (s) {
      Matcher m = s.matcher;
      if (m == null) {
        m = matcherFactory.apply(s.name);
        s.matcher = m;
      }
      return m;
    }
  }
}
