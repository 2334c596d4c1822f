{-# LANGUAGE OverloadedStrings #-}

-- | The manifest (ABI.md section 8): what a library says about itself and its functions.
module Virgil.Manifest
  ( Manifest (..)
  , FunctionInfo (..)
  , Param (..)
  , abiVersion
  ) where

import Data.Text (Text)
import qualified Data.Text as T
import Virgil.Msgpack

-- | The ABI version this kit speaks (@VIRGIL_ABI_VERSION@).
abiVersion :: Int
abiVersion = 1

-- | @{"abi", "library", "language", "version", "functions"}@, in that order.
data Manifest = Manifest
  { manifestAbi :: !Int
  , manifestLibrary :: !Text
  , manifestLanguage :: !Text
  , manifestVersion :: !Text
  , manifestFunctions :: [FunctionInfo]
  }
  deriving (Eq, Show)

-- | @{"name", "params", "result", "doc"}@: one exported function.
data FunctionInfo = FunctionInfo
  { infoName :: !Text
  , infoParams :: [Param]
  , infoResult :: !Text
  , infoDoc :: !Text
  }
  deriving (Eq, Show)

-- | @{"name", "type"}@: one parameter, its type in the type vocabulary.
data Param = Param
  { paramName :: !Text
  , paramType :: !Text
  }
  deriving (Eq, Show)

instance ToMsgpack Manifest where
  toMsgpack m =
    Map
      [ (Str "abi", Int (toInteger (manifestAbi m)))
      , (Str "library", Str (manifestLibrary m))
      , (Str "language", Str (manifestLanguage m))
      , (Str "version", Str (manifestVersion m))
      , (Str "functions", Array (map toMsgpack (manifestFunctions m)))
      ]

instance ToMsgpack FunctionInfo where
  toMsgpack f =
    Map
      [ (Str "name", Str (infoName f))
      , (Str "params", Array (map toMsgpack (infoParams f)))
      , (Str "result", Str (infoResult f))
      , (Str "doc", Str (infoDoc f))
      ]

instance ToMsgpack Param where
  toMsgpack p = Map [(Str "name", Str (paramName p)), (Str "type", Str (paramType p))]

-- | Unknown keys are ignored; @abi@ is required, the other keys default to empty.
instance FromMsgpack Manifest where
  fromMsgpack (Map kvs) = do
    abi <- case lookup (Str "abi") kvs of
      Just v -> inside ".abi" (fromMsgpack v)
      Nothing -> Left (FromError [] "manifest without an abi version")
    Manifest abi
      <$> key "library" T.empty kvs
      <*> key "language" T.empty kvs
      <*> key "version" T.empty kvs
      <*> key "functions" [] kvs
  fromMsgpack v = typeMismatch "a manifest map" v

instance FromMsgpack FunctionInfo where
  fromMsgpack (Map kvs) =
    FunctionInfo
      <$> key "name" T.empty kvs
      <*> key "params" [] kvs
      <*> key "result" T.empty kvs
      <*> key "doc" T.empty kvs
  fromMsgpack v = typeMismatch "a function map" v

instance FromMsgpack Param where
  fromMsgpack (Map kvs) = Param <$> key "name" T.empty kvs <*> key "type" T.empty kvs
  fromMsgpack v = typeMismatch "a parameter map" v

key :: FromMsgpack a => Text -> a -> [(Value, Value)] -> Either FromError a
key k def kvs = case lookup (Str k) kvs of
  Nothing -> Right def
  Just Nil -> Right def
  Just v -> inside ("." <> k) (fromMsgpack v)
